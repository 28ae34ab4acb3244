import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, fails, people, send, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// README, SEND_RATE_LIMIT: the operator's send limit replaces the default 30 per 10 s.
describe.each(backendNames())('SEND_RATE_LIMIT on %s', (backend) => {
	let t: TestParley;
	let alice: Person;
	let bob: Person;
	let thread: Thread;

	beforeAll(async () => {
		t = await startParley(backend, { env: { SEND_RATE_LIMIT: '3/1m' }, parley: { limits: { codesPerIp: 10_000 } } });
		[alice, bob] = await people(t, 2);
		thread = await befriend(alice, bob);
	});
	afterAll(async () => t?.stop());

	it('refuses the fourth new message in a minute with the configured figures; resends and the other member still pass', async () => {
		const first = await send(alice.socket, thread.id, 'one');
		await send(alice.socket, thread.id, 'two');
		await send(alice.socket, thread.id, 'three');
		const error = await fails(alice.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'four' }, 'rate_limited');
		expect(error.message).toContain('at most 3 in 60 s');
		expect(await send(alice.socket, thread.id, 'one', first.clientId)).toEqual(first);
		expect((await send(bob.socket, thread.id, 'mine')).seq).toBe(4);
	});
});
