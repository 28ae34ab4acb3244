import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_REACHABLE, notReachableAmong, type Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, fails, ok, people, send, type Person } from '../helpers/chat.js';
import { befriendAll, createGroup, getThread, history } from '../helpers/groups.js';
import { startPushParley, type TestParley } from '../helpers/parley.js';
import type { LoopbackPushService } from '../helpers/push.js';

// docs/PROTOCOL.md "Unfriend and block", in groups: a blocked person's group messages still reach you
// (everyone in the group sees the same history), but they are not unread for you, their @mentions of
// you do not count, you get no push for them, and they cannot put you in a group.
describe.each(backendNames())('blocks in groups on %s', (backend) => {
	let t: TestParley;
	let service: LoopbackPushService;
	let stop: (() => Promise<void>) | undefined;
	beforeAll(async () => {
		({ t, service, stop } = await startPushParley(backend));
	});
	afterAll(() => stop?.());

	/** `owner` with friends `a` and `b` in one group; `a` then blocks `b`. */
	async function groupWithBlock(): Promise<{ owner: Person; a: Person; b: Person; group: Thread }> {
		const [owner, a, b] = await people(t, 3);
		await befriendAll(owner, [a, b]);
		const group = await createGroup(owner, [a, b], 'Hikers');
		await ok(a.socket, 'users:block', { userId: b.user.id });
		return { owner, a, b, group };
	}

	it('a blocked member’s messages still arrive but are not unread for the blocker; others’ are', async () => {
		const { owner, a, b, group } = await groupWithBlock();
		const before = (await getThread(a.socket, group.id)).unread;
		await send(b.socket, group.id, 'from b, blocked by a');
		await send(b.socket, group.id, 'again from b');
		await send(owner.socket, group.id, 'from the owner');
		expect((await history(a.socket, group.id)).map((m) => m.text).slice(-3)).toEqual(['from b, blocked by a', 'again from b', 'from the owner']);
		const seen = await getThread(a.socket, group.id);
		expect(seen.unread).toBe(before + 1);
		expect((await ok<{ threads: Thread[] }>(a.socket, 'threads:list', {})).threads.find((th) => th.id === group.id)!.unread).toBe(before + 1);
		// Unblocked, their unread messages count again.
		await ok(a.socket, 'users:unblock', { userId: b.user.id });
		expect((await getThread(a.socket, group.id)).unread).toBe(before + 3);
	});

	it('a group line made by someone the member blocked still counts: it is news about the group', async () => {
		const { a, b, group } = await groupWithBlock();
		const before = (await getThread(a.socket, group.id)).unread;
		await ok(b.socket, 'groups:leave', { threadId: group.id });
		expect((await history(a.socket, group.id)).at(-1)).toMatchObject({ kind: 'system', senderId: b.user.id });
		expect((await getThread(a.socket, group.id)).unread).toBe(before + 1);
		expect((await ok<{ threads: Thread[] }>(a.socket, 'threads:list', {})).threads.find((th) => th.id === group.id)!.unread).toBe(before + 1);
	});

	it('their @mentions of the blocker do not count; the same mention from someone else does', async () => {
		const { owner, a, b, group } = await groupWithBlock();
		await send(b.socket, group.id, `hey @${a.user.username}`);
		expect((await getThread(a.socket, group.id)).mentions ?? 0).toBe(0);
		await send(b.socket, group.id, `hey @${owner.user.username}`);
		expect((await getThread(owner.socket, group.id)).mentions).toBe(1);
		await send(owner.socket, group.id, `and @${a.user.username}`);
		expect((await getThread(a.socket, group.id)).mentions).toBe(1);
	});

	it('they cannot create a group with you or add you, with the neutral refusal; nothing changes', async () => {
		const [a, b, c] = await people(t, 3);
		await befriendAll(b, [a, c]);
		await ok(a.socket, 'users:block', { userId: b.user.id });
		const created = await fails(b.socket, 'groups:create', { title: 'Trap', memberIds: [c.user.id, a.user.id] }, 'forbidden');
		expect(created.message).toBe(notReachableAmong([a.user.id]));
		expect(created.message).toBe(`user "${a.user.id}": ${NOT_REACHABLE}`);
		expect((await ok<{ threads: Thread[] }>(c.socket, 'threads:list', {})).threads.filter((th) => th.kind === 'group')).toEqual([]);

		const group = await createGroup(b, [c], 'Fine');
		const added = await fails(b.socket, 'groups:add', { threadId: group.id, userIds: [a.user.id] }, 'forbidden');
		expect(added.message).toBe(`user "${a.user.id}": ${NOT_REACHABLE}`);
		expect((await getThread(b.socket, group.id)).members.map((m) => m.id).sort()).toEqual([b.user.id, c.user.id].sort());
		expect((await history(b.socket, group.id)).filter((m) => m.kind === 'system')).toHaveLength(1);
		// The blocker is told plainly when they try to add the person they blocked.
		await befriend(a, c);
		const own = await fails(a.socket, 'groups:create', { title: 'Mine', memberIds: [c.user.id, b.user.id] }, 'forbidden');
		expect(own.message).toBe(`you blocked user "${b.user.id}"; unblock them first`);
		// Unblocked, the same add works.
		await ok(a.socket, 'users:unblock', { userId: b.user.id });
		await ok(b.socket, 'groups:add', { threadId: group.id, userIds: [a.user.id] });
	});

	it('several who blocked you are named together', async () => {
		const [b, a1, a2] = await people(t, 3);
		await befriendAll(b, [a1, a2]);
		for (const a of [a1, a2]) await ok(a.socket, 'users:block', { userId: b.user.id });
		const error = await fails(b.socket, 'groups:create', { title: 'Trap', memberIds: [a1.user.id, a2.user.id] }, 'forbidden');
		expect(error.message).toMatch(/^users "[^"]+" and "[^"]+": these people cannot be reached here right now$/);
		expect(error.message).toContain(a1.user.id);
		expect(error.message).toContain(a2.user.id);
	});

	it('no push for a blocked member’s group message; one for the same from someone else', async () => {
		const { owner, a, b, group } = await groupWithBlock();
		const sub = service.subscription();
		await ok(a.socket, 'push:key', {});
		await ok(a.socket, 'push:subscribe', { ...sub.toJSON(), label: 'Test browser' });
		a.socket.disconnect();
		await expect.poll(async () => (await t.parley.chat!.presence.onlineAmong([a.user.id])).has(a.user.id)).toBe(false);
		await send(b.socket, group.id, 'blocked words');
		await t.parley.chat!.push!.idle();
		expect(service.to(sub)).toHaveLength(0);
		await send(owner.socket, group.id, 'friendly words');
		await t.parley.chat!.push!.idle();
		const pushes = service.to(sub);
		expect(pushes).toHaveLength(1);
		expect(JSON.parse(sub.decrypt(pushes[0].body)).body).toBe('friendly words');
	});
});
