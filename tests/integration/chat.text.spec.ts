import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, fails, ok, people, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// PROTOCOL.md Conventions, on the socket: a string that is not well-formed Unicode is refused with
// `invalid_input` naming its field, never stored (as U+FFFD or otherwise); C1 is a control character.
describe.concurrent.each(backendNames())('socket text on %s', (backend) => {
	let t: TestParley;
	let a: Person;
	let b: Person;
	let c: Person;
	let threadId: string;

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
		[a, b, c] = await people(t, 3);
		threadId = (await befriend(a, b)).id;
	});
	afterAll(async () => t?.stop());

	it.each([
		['a high surrogate alone', 'hi \ud800 there'],
		['a low surrogate alone', '\udc00'],
		['a reversed pair', '\udc00\ud83d']
	])('messages:send with %s: invalid_input naming text, nothing stored', async (_label, text) => {
		const error = await fails(a.socket, 'messages:send', { threadId, clientId: clientId(), text }, 'invalid_input');
		// The message schema has its own check (its wording); validate() would catch it otherwise.
		expect(error.fields).toEqual({ text: expect.stringMatching(/not (valid|well-formed) Unicode/) });
		const { messages } = await ok(a.socket, 'messages:list', { threadId });
		for (const m of messages as Array<{ text: string }>) expect(m.text.isWellFormed() && !m.text.includes('\ufffd')).toBe(true);
	});

	it('a well-formed pair is sent and kept', async () => {
		const { message } = await ok(a.socket, 'messages:send', { threadId, clientId: clientId(), text: 'smile 😀' });
		expect(message.text).toBe('smile 😀');
	});

	it('friends:request with a C1 character or a lone surrogate in its message: invalid_input naming message', async () => {
		const c1 = await fails(c.socket, 'friends:request', { userId: a.user.id, message: 'hello\u0085there' }, 'invalid_input');
		expect(c1.fields).toEqual({ message: 'message must not contain control characters' });
		const lone = await fails(c.socket, 'friends:request', { userId: a.user.id, message: 'hello\ud800' }, 'invalid_input');
		expect(lone.fields).toEqual({ message: 'is not valid Unicode text (it holds a lone surrogate)' });
		// Nothing was sent: c has no pending request to a.
		const { outgoing } = await ok(c.socket, 'friends:list', {});
		expect(outgoing).toEqual([]);
	});
});
