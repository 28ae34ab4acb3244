import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagesSearchResponse } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, ok, people, send, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

function word(): string {
	return `q${Math.random().toString(36).slice(2, 10).replace(/\d/g, 'x')}`;
}

const ids = async (p: Person, query: string) => (await ok<MessagesSearchResponse>(p.socket, 'messages:search', { query })).hits.map((h) => h.messageId);

// Search and the message actions together, through the protocol only: an edit is found by its new
// words and no longer by its old ones, a deleted message by none, on every database.
describe.each(backendNames())('search follows edits and deletes on %s', (backend) => {
	let t: TestParley;
	let a: Person, b: Person;
	let thread: string;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
		[a, b] = await people(t, 2);
		thread = (await befriend(a, b)).id;
	});
	afterAll(async () => t?.stop());

	it('messages:edit re-indexes the text; messages:delete takes it out of the index', async () => {
		const [before, after, other] = [word(), word(), word()];
		const sent = await send(a.socket, thread, `meet at the ${before} at noon`);
		const kept = await send(a.socket, thread, `the ${other} stays`);
		expect(await ids(b, before)).toEqual([sent.id]);

		await ok(a.socket, 'messages:edit', { threadId: thread, seq: sent.seq, text: `meet at the ${after} at noon` });
		expect(await ids(b, before)).toEqual([]);
		expect(await ids(b, after)).toEqual([sent.id]);

		await ok(a.socket, 'messages:delete', { threadId: thread, seq: sent.seq });
		expect(await ids(b, after)).toEqual([]);
		expect(await ids(a, after)).toEqual([]);
		expect(await ids(b, other)).toEqual([kept.id]);
	});
});
