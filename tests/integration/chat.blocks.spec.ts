import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_REACHABLE, type FriendsListResponse, type UserCard } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, Events, fails, ok, people, send } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md "Unfriend and block": friends:remove, users:block, users:unblock, users:blocked.
describe.each(backendNames())('unfriend and block on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
	});
	afterAll(async () => t?.stop());

	it('friends:remove ends the friendship both ways, live; the thread stays readable, sending is refused until befriended again', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		await send(a.socket, thread.id, 'before');
		const [ea, eb] = [new Events(a.socket, ['friends:removed']), new Events(b.socket, ['friends:removed'])];
		expect(await ok(a.socket, 'friends:remove', { userId: b.user.id })).toEqual({ ok: true });
		expect(await ea.next('friends:removed')).toEqual({ userId: b.user.id });
		expect(await eb.next('friends:removed')).toEqual({ userId: a.user.id });
		for (const p of [a, b]) expect((await ok<FriendsListResponse>(p.socket, 'friends:list')).friends).toEqual([]);
		// Idempotent: again is no error and tells nobody.
		await ok(a.socket, 'friends:remove', { userId: b.user.id });
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(eb.all('friends:removed')).toHaveLength(1);

		const { messages } = await ok(b.socket, 'messages:list', { threadId: thread.id });
		expect(messages.map((m: { text: string }) => m.text)).toEqual(['before']);
		for (const [me, other] of [
			[a, b],
			[b, a]
		]) {
			const error = await fails(me.socket, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'after' }, 'forbidden');
			expect(error.message).toBe(`you and user "${other.user.id}" are no longer friends; send a friend request to write again`);
		}
		expect((await ok(a.socket, 'messages:list', { threadId: thread.id })).messages).toHaveLength(1);

		const again = await befriend(b, a);
		expect(again.id).toBe(thread.id);
		expect((await send(a.socket, thread.id, 'friends again')).seq).toBe(2);
	});

	it('a blocked person cannot send a friend request, message or call, and gets only the neutral refusal; nothing is stored', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const eb = new Events(b.socket, ['users:blocked:changed', 'friends:removed', 'friends:closed']);
		const ea = new Events(a.socket, ['users:blocked:changed', 'message:new']);
		await ok(a.socket, 'users:block', { userId: b.user.id });
		expect(await ea.next('users:blocked:changed')).toEqual({ userId: b.user.id, blocked: true });

		const refused = await fails(b.socket, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'hello?' }, 'forbidden');
		expect(refused.message).toBe(NOT_REACHABLE);
		expect((await fails(b.socket, 'call:invite', { threadId: thread.id, video: false }, 'forbidden')).message).toBe(NOT_REACHABLE);
		expect(await ea.none('message:new')).toBe(true);
		expect((await ok(a.socket, 'messages:list', { threadId: thread.id })).messages).toEqual([]);
		// The blocker is told plainly, in their own words.
		expect((await fails(a.socket, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'x' }, 'forbidden')).message).toBe(`you blocked user "${b.user.id}"; unblock them first`);
		// The blocked side hears nothing of it.
		expect(eb.log).toEqual([]);

		const [c] = await people(t, 1);
		await ok(c.socket, 'users:block', { userId: b.user.id });
		expect((await fails(b.socket, 'friends:request', { userId: c.user.id }, 'forbidden')).message).toBe(NOT_REACHABLE);
		expect((await ok(c.socket, 'friends:list')).incoming).toEqual([]);

		const { users } = await ok<{ users: UserCard[] }>(a.socket, 'users:blocked');
		expect(users.map((u) => u.id)).toEqual([b.user.id]);
		await ok(a.socket, 'users:unblock', { userId: b.user.id });
		expect(await ea.next('users:blocked:changed', (e) => !e.blocked)).toEqual({ userId: b.user.id, blocked: false });
		expect((await ok<{ users: UserCard[] }>(a.socket, 'users:blocked')).users).toEqual([]);
		expect((await send(b.socket, thread.id, 'unblocked')).seq).toBe(1);
	});

	it('a resend after a block or unfriend still gets its message back, and stores nothing', async () => {
		// messages:send reads membership, blocks, friendship and the clientId in one query
		// (send-check.repository.ts): a stored clientId must still win over every later refusal.
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const id = crypto.randomUUID();
		const first = await send(a.socket, thread.id, 'before', id);
		await ok(b.socket, 'users:block', { userId: a.user.id });
		expect(await send(a.socket, thread.id, 'resent', id)).toEqual(first);
		await ok(b.socket, 'users:unblock', { userId: a.user.id });
		await ok(b.socket, 'friends:remove', { userId: a.user.id });
		expect(await send(a.socket, thread.id, 'resent', id)).toEqual(first);
		expect((await fails(a.socket, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'new' }, 'forbidden')).message).toContain('no longer friends');
		expect((await ok(b.socket, 'messages:list', { threadId: thread.id })).messages).toHaveLength(1);
	});

	it('blocking closes a pending request either way', async () => {
		const [a, b] = await people(t, 2);
		const { request } = await ok(b.socket, 'friends:request', { userId: a.user.id });
		const eb = new Events(b.socket, ['friends:closed']);
		await ok(a.socket, 'users:block', { userId: b.user.id });
		expect(await eb.next('friends:closed')).toEqual({ requestId: request.id, status: 'declined' });
		expect((await ok<FriendsListResponse>(a.socket, 'friends:list')).incoming).toEqual([]);
	});

	it('bad input: yourself, unknown users, unknown fields', async () => {
		const [a] = await people(t, 1);
		for (const event of ['users:block', 'users:unblock', 'friends:remove']) {
			expect((await fails(a.socket, event, { userId: a.user.id }, 'invalid_input')).fields).toEqual({ userId: 'is you' });
			await fails(a.socket, event, { userId: 'nobody-such-user' }, 'not_found');
			await fails(a.socket, event, { userId: a.user.id, extra: 1 }, 'invalid_input');
			await fails(a.socket, event, {}, 'invalid_input');
		}
		expect((await ok<{ users: UserCard[] }>(a.socket, 'users:blocked')).users).toEqual([]);
	});
});
