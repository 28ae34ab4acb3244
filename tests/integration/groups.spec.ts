import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, MessagesReadersResponse, Thread, ThreadsListResponse } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, device, fails, ok, people, request, send, type Person } from '../helpers/chat.js';
import { befriendAll, createGroup, getThread, groupEvents, history, roles } from '../helpers/groups.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const MAX = 5;
const CHANGES = 30;

// docs/PROTOCOL.md, "Groups": the requests, their events and system lines, roles and every refusal.
describe.each(backendNames())('groups on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 }, chatLimits: { groupMaxMembers: MAX, groupChangesPerWindow: CHANGES, groupChangeWindowSeconds: 60, sendsPerWindow: 10_000, typingIntervalMs: 1 } } });
	});
	afterAll(async () => t?.stop());

	/** An owner, friends with every other one, and a group of them all. */
	async function group(n: number, title = 'Trip'): Promise<{ all: Person[]; owner: Person; rest: Person[]; thread: Thread }> {
		const all = await people(t, n);
		const [owner, ...rest] = all;
		await befriendAll(owner, rest);
		return { all, owner, rest, thread: await createGroup(owner, rest, title) };
	}

	describe('groups:create', () => {
		it('makes a group of friends: the creator is owner, seq 1 is the created line, every device hears of it', async () => {
			const [a, b, c] = await people(t, 3);
			await befriendAll(a, [b, c]);
			const a2 = await device(t, a);
			const events = [a.socket, a2, b.socket, c.socket].map(groupEvents);
			const { thread } = await ok<{ thread: Thread }>(a.socket, 'groups:create', {
				title: '  Weekend  ',
				topic: 'hiking\nand food',
				memberIds: [b.user.id, c.user.id, b.user.id, a.user.id]
			});
			expect(thread).toMatchObject({ kind: 'group', title: 'Weekend', topic: 'hiking\nand food', avatarUrl: null, memberCount: 3, myRole: 'owner', lastSeq: 1, unread: 0, readSeq: 1 });
			expect(thread.peer).toBeUndefined();
			expect(roles(thread)).toEqual({ [a.user.id]: 'owner', [b.user.id]: 'member', [c.user.id]: 'member' });
			expect(thread.members[0]).toMatchObject({ id: a.user.id, relationship: 'self', role: 'owner', readSeq: 1, deliveredSeq: 1 });
			const line = thread.lastMessage!;
			expect(line).toMatchObject({ seq: 1, kind: 'system', senderId: a.user.id, system: { type: 'created', title: 'Weekend', actor: { id: a.user.id } } });
			expect((line.system as { users: Array<{ id: string }> }).users.map((u) => u.id).sort()).toEqual([b.user.id, c.user.id].sort());
			expect(line.text).toMatch(/created the group “Weekend” with/);
			for (const e of events) {
				const updated = await e.next('thread:updated');
				expect(updated.thread.id).toBe(thread.id);
				expect((await e.next('message:new')).message).toEqual(line);
			}
			// Each as they see it.
			const fromB = events[2].all('thread:updated')[0].thread;
			expect(fromB).toMatchObject({ myRole: 'member', unread: 1, readSeq: 0, memberCount: 3 });
			expect(fromB.members.find((m) => m.id === b.user.id)?.relationship).toBe('self');
			expect(fromB.members.find((m) => m.id === a.user.id)?.relationship).toBe('friend');
			expect(fromB.members.find((m) => m.id === c.user.id)?.relationship).toBe('none');
			// Not b's friend, but in a group with b: b sees whether c is online.
			expect(fromB.members.find((m) => m.id === c.user.id)?.online).toBe(true);
			const listed = await ok<ThreadsListResponse>(c.socket, 'threads:list', {});
			expect(listed.threads.map((x) => x.id)).toContain(thread.id);
			expect(await getThread(b.socket, thread.id)).toMatchObject({ id: thread.id, kind: 'group', myRole: 'member' });
		});

		it('refuses non-friends (naming them), only yourself and more than GROUP_MAX_MEMBERS; makes nothing', async () => {
			const all = await people(t, MAX + 2);
			const [a, b, c, ...more] = all;
			await befriendAll(a, [b, ...more]);
			const before = (await ok<ThreadsListResponse>(a.socket, 'threads:list', {})).threads.length;
			const stranger = await fails(a.socket, 'groups:create', { title: 'x', memberIds: [b.user.id, c.user.id] }, 'invalid_input');
			expect(stranger.message).toContain(c.user.id);
			expect(stranger.message).not.toContain(b.user.id);
			const unknown = await fails(a.socket, 'groups:create', { title: 'x', memberIds: ['nobody'] }, 'invalid_input');
			expect(unknown.message).toContain('nobody');
			await fails(a.socket, 'groups:create', { title: 'x', memberIds: [a.user.id] }, 'invalid_input');
			const over = await fails(a.socket, 'groups:create', { title: 'x', memberIds: [b, ...more].map((p) => p.user.id) }, 'invalid_input');
			expect(over.message).toContain(`at most ${MAX}`);
			expect((await ok<ThreadsListResponse>(a.socket, 'threads:list', {})).threads.length).toBe(before);
			expect((await ok<ThreadsListResponse>(c.socket, 'threads:list', {})).threads.length).toBe(0);
			// Exactly the limit is fine.
			const full = await createGroup(a, [b, ...more].slice(0, MAX - 1));
			expect(full.memberCount).toBe(MAX);
		});
	});

	describe('groups:add', () => {
		it('owner and admins add friends of theirs with one added line; existing members are skipped', async () => {
			const { owner, rest, thread } = await group(3);
			const [b, c] = rest;
			const [d, e] = await people(t, 2);
			await befriendAll(owner, [d]);
			const events = [owner.socket, b.socket, d.socket].map(groupEvents);
			const added = (await ok<{ thread: Thread }>(owner.socket, 'groups:add', { threadId: thread.id, userIds: [d.user.id, b.user.id, d.user.id] })).thread;
			expect(added).toMatchObject({ memberCount: 4, lastSeq: 2 });
			expect(roles(added)[d.user.id]).toBe('member');
			for (const ev of events) {
				expect((await ev.next('message:new', (p) => p.message.seq === 2)).message).toMatchObject({ kind: 'system', system: { type: 'added', users: [{ id: d.user.id }] } });
				expect((await ev.next('thread:updated', (p) => p.thread.lastSeq === 2)).thread.memberCount).toBe(4);
			}
			// The newcomer sees the whole history and starts with it seen, the added line unread.
			const fromD = await getThread(d.socket, thread.id);
			expect(fromD).toMatchObject({ myRole: 'member', readSeq: 1, unread: 1 });
			expect((await history(d.socket, thread.id)).map((m) => m.seq)).toEqual([1, 2]);
			// Already in: nothing happens.
			const again = (await ok<{ thread: Thread }>(owner.socket, 'groups:add', { threadId: thread.id, userIds: [d.user.id] })).thread;
			expect(again.lastSeq).toBe(2);
			// A member may not; an admin may, friends of theirs only.
			await fails(c.socket, 'groups:add', { threadId: thread.id, userIds: [e.user.id] }, 'forbidden');
			await ok(owner.socket, 'groups:role', { threadId: thread.id, userId: c.user.id, role: 'admin' });
			const notFriend = await fails(c.socket, 'groups:add', { threadId: thread.id, userIds: [e.user.id] }, 'invalid_input');
			expect(notFriend.message).toContain(e.user.id);
			await befriend(c, e);
			expect((await ok<{ thread: Thread }>(c.socket, 'groups:add', { threadId: thread.id, userIds: [e.user.id] })).thread.memberCount).toBe(5);
			// Full now (MAX = 5).
			const [f] = await people(t, 1);
			await befriend(owner, f);
			const full = await fails(owner.socket, 'groups:add', { threadId: thread.id, userIds: [f.user.id] }, 'invalid_input');
			expect(full.message).toContain(`at most ${MAX}`);
			expect((await getThread(owner.socket, thread.id)).memberCount).toBe(5);
		});
	});

	describe('groups:remove', () => {
		it('the removed person gets thread:removed on every device and nothing more; the others a removed line', async () => {
			const { owner, rest, thread } = await group(3);
			const [b, c] = rest;
			const c2 = await device(t, c);
			const [eo, eb, ec, ec2] = [owner.socket, b.socket, c.socket, c2].map(groupEvents);
			const after = (await ok<{ thread: Thread }>(owner.socket, 'groups:remove', { threadId: thread.id, userId: c.user.id })).thread;
			expect(after).toMatchObject({ memberCount: 2, lastSeq: 2 });
			expect(after.members.map((m) => m.id)).not.toContain(c.user.id);
			for (const e of [ec, ec2]) expect(await e.next('thread:removed')).toEqual({ threadId: thread.id, reason: 'removed' });
			for (const e of [eo, eb]) {
				expect((await e.next('message:new', (p) => p.message.seq === 2)).message.system).toMatchObject({ type: 'removed', users: [{ id: c.user.id }] });
				expect((await e.next('thread:updated', (p) => p.thread.lastSeq === 2)).thread.memberCount).toBe(2);
			}
			// Every thread call is not_found for them now, with the message of a thread that does not exist.
			const missing = await fails(c.socket, 'threads:get', { threadId: 'no-such-thread' }, 'not_found');
			const gone = await fails(c.socket, 'threads:get', { threadId: thread.id }, 'not_found');
			expect(gone.message).toBe(missing.message.replace('no-such-thread', thread.id));
			await fails(c.socket, 'messages:list', { threadId: thread.id }, 'not_found');
			await fails(c.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'still here?' }, 'not_found');
			await fails(c.socket, 'messages:read', { threadId: thread.id, seq: 2 }, 'not_found');
			await fails(c.socket, 'messages:delivered', { threadId: thread.id, seq: 2 }, 'not_found');
			await fails(c.socket, 'typing', { threadId: thread.id }, 'not_found');
			await fails(c.socket, 'messages:readers', { threadId: thread.id, seq: 1 }, 'not_found');
			await fails(c.socket, 'groups:leave', { threadId: thread.id }, 'not_found');
			expect((await ok<ThreadsListResponse>(c.socket, 'threads:list', {})).threads.map((x) => x.id)).not.toContain(thread.id);
			// What the others say and do no longer reaches them.
			await send(b.socket, thread.id, 'after you left');
			await ok(b.socket, 'typing', { threadId: thread.id });
			await ok(b.socket, 'messages:read', { threadId: thread.id, seq: 3 });
			await eo.next('message:new', (p) => p.message.seq === 3);
			await eo.next('typing');
			for (const e of [ec, ec2]) {
				expect(await e.none('message:new')).toBe(true);
				expect(e.all('typing')).toEqual([]);
				expect(e.all('message:status')).toEqual([]);
				expect(e.all('thread:updated')).toEqual([]);
			}
			expect(eb.all('thread:removed')).toEqual([]);
		});

		it('roles: a member may not remove, an admin removes members only, nobody removes themself, the gone are conflict', async () => {
			const { owner, rest, thread } = await group(4);
			const [b, c, d] = rest;
			await fails(b.socket, 'groups:remove', { threadId: thread.id, userId: c.user.id }, 'forbidden');
			await ok(owner.socket, 'groups:role', { threadId: thread.id, userId: b.user.id, role: 'admin' });
			await ok(owner.socket, 'groups:role', { threadId: thread.id, userId: c.user.id, role: 'admin' });
			await fails(b.socket, 'groups:remove', { threadId: thread.id, userId: c.user.id }, 'forbidden');
			await fails(b.socket, 'groups:remove', { threadId: thread.id, userId: owner.user.id }, 'forbidden');
			await fails(b.socket, 'groups:remove', { threadId: thread.id, userId: b.user.id }, 'invalid_input');
			await fails(owner.socket, 'groups:remove', { threadId: thread.id, userId: owner.user.id }, 'invalid_input');
			const seq = (await getThread(owner.socket, thread.id)).lastSeq;
			await ok(b.socket, 'groups:remove', { threadId: thread.id, userId: d.user.id });
			await fails(b.socket, 'groups:remove', { threadId: thread.id, userId: d.user.id }, 'conflict');
			await fails(owner.socket, 'groups:remove', { threadId: thread.id, userId: 'nobody' }, 'conflict');
			await ok(owner.socket, 'groups:remove', { threadId: thread.id, userId: c.user.id });
			const now = await getThread(owner.socket, thread.id);
			expect(now.lastSeq).toBe(seq + 2);
			expect(roles(now)).toEqual({ [owner.user.id]: 'owner', [b.user.id]: 'admin' });
		});
	});

	describe('the change limit', () => {
		it('a user making more group changes than the limit gets rate_limited and nothing is written; leaving still works', async () => {
			const { owner, rest, thread } = await group(2);
			// The group's creation was the first change.
			for (let i = 1; i < CHANGES; i++) await ok(owner.socket, 'groups:update', { threadId: thread.id, title: `t${i}` });
			const before = await getThread(owner.socket, thread.id);
			const refused = await fails(owner.socket, 'groups:update', { threadId: thread.id, title: 'one too many' }, 'rate_limited');
			expect(refused.message).toMatch(/changing groups too fast/);
			await fails(owner.socket, 'groups:remove', { threadId: thread.id, userId: rest[0].user.id }, 'rate_limited');
			expect(await getThread(owner.socket, thread.id)).toEqual(before);
			// Someone else is not held back by it; and anyone may always leave.
			await ok(owner.socket, 'groups:leave', { threadId: thread.id });
			expect((await getThread(rest[0].socket, thread.id)).myRole).toBe('owner');
		});
	});

	describe('racing changes', () => {
		it('two removals of one person at once: one wins, the other is conflict; a leave racing them too; seqs stay gapless', async () => {
			const { owner, rest, thread } = await group(5);
			const [b, c, d, e] = rest;
			await ok(owner.socket, 'groups:role', { threadId: thread.id, userId: b.user.id, role: 'admin' });
			const acks = await Promise.all([
				request(owner.socket, 'groups:remove', { threadId: thread.id, userId: c.user.id }),
				request(b.socket, 'groups:remove', { threadId: thread.id, userId: c.user.id }),
				request(c.socket, 'groups:leave', { threadId: thread.id }),
				request(owner.socket, 'groups:role', { threadId: thread.id, userId: d.user.id, role: 'admin' }),
				request(b.socket, 'groups:remove', { threadId: thread.id, userId: e.user.id })
			]);
			const [byOwner, byB, left] = acks;
			const outcomes = [byOwner, byB, left].map((a) => (a.ok ? 'ok' : (a as { error: { code: string } }).error.code));
			expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
			// The losers: a removal finds c gone (conflict); c's own leave finds itself gone (not_found).
			if (!byOwner.ok) expect(outcomes[0]).toBe('conflict');
			if (!byB.ok) expect(outcomes[1]).toBe('conflict');
			if (!left.ok) expect(outcomes[2]).toBe('not_found');
			expect(acks[3].ok).toBe(true);
			expect(acks[4].ok).toBe(true);
			const lines = (await history(owner.socket, thread.id)).map((m) => m.seq);
			expect(lines).toEqual([1, 2, 3, 4, 5]);
			const now = await getThread(owner.socket, thread.id);
			expect(roles(now)).toEqual({ [owner.user.id]: 'owner', [b.user.id]: 'admin', [d.user.id]: 'admin' });
		});
	});

	describe('groups:leave', () => {
		it('anyone leaves with a left line; the owner hands over to the first admin, else the first member; the last closes it', async () => {
			const { owner, rest, thread } = await group(4);
			const [b, c, d] = rest;
			const [eo, eb] = [owner.socket, b.socket].map(groupEvents);
			// A member leaves.
			expect(await ok(d.socket, 'groups:leave', { threadId: thread.id })).toEqual({ ok: true });
			expect((await eo.next('message:new', (p) => p.message.seq === 2)).message).toMatchObject({ senderId: d.user.id, system: { type: 'left', actor: { id: d.user.id } } });
			await fails(d.socket, 'threads:get', { threadId: thread.id }, 'not_found');
			// The owner leaves: c is an admin (joined with b, but b stays a member), so c inherits.
			await ok(owner.socket, 'groups:role', { threadId: thread.id, userId: c.user.id, role: 'admin' });
			const ec = groupEvents(c.socket);
			const eOwner = groupEvents(owner.socket);
			await ok(owner.socket, 'groups:leave', { threadId: thread.id });
			expect(await eOwner.next('thread:removed')).toEqual({ threadId: thread.id, reason: 'left' });
			const left = await eb.next('message:new', (p) => p.message.system?.type === 'left' && p.message.senderId === owner.user.id);
			const heir = await eb.next('message:new', (p) => p.message.system?.type === 'role' && p.message.system.role === 'owner');
			expect(heir.message.seq).toBe(left.message.seq + 1);
			expect(heir.message.system).toMatchObject({ type: 'role', role: 'owner', users: [{ id: c.user.id }] });
			expect((await ec.next('thread:updated', (p) => p.thread.myRole === 'owner')).thread.memberCount).toBe(2);
			expect(roles(await getThread(b.socket, thread.id))).toEqual({ [b.user.id]: 'member', [c.user.id]: 'owner' });
			// No admin left: the member who joined first inherits; then the last one closes the group.
			await ok(c.socket, 'groups:leave', { threadId: thread.id });
			expect((await getThread(b.socket, thread.id)).myRole).toBe('owner');
			await ok(b.socket, 'groups:leave', { threadId: thread.id });
			for (const p of [owner, b, c, d]) await fails(p.socket, 'threads:get', { threadId: thread.id }, 'not_found');
			const row = await t.parley.db.db.selectFrom('threads').select(['closed_at', 'last_seq']).where('id', '=', thread.id).executeTakeFirstOrThrow();
			expect(row.closed_at).toMatch(/^\d{4}-/);
			const members = await t.parley.db.db.selectFrom('thread_members').select('user_id').where('thread_id', '=', thread.id).execute();
			expect(members).toEqual([]);
		});

		it('succession picks the earliest joined member when there is no admin', async () => {
			const { owner, rest, thread } = await group(3);
			const [b, c] = rest;
			const [d] = await people(t, 1);
			await befriend(owner, d);
			await ok(owner.socket, 'groups:add', { threadId: thread.id, userIds: [d.user.id] });
			await ok(owner.socket, 'groups:leave', { threadId: thread.id });
			const view = await getThread(d.socket, thread.id);
			const heirs = Object.entries(roles(view)).filter(([, r]) => r === 'owner').map(([id]) => id);
			expect(heirs).toHaveLength(1);
			// b and c joined at creation, d later: the heir is b or c (same moment, the smaller id first).
			expect([b.user.id, c.user.id].sort()[0]).toBe(heirs[0]);
		});
	});

	describe('groups:update', () => {
		it('owner and admins change title and topic; a line per field that changed; members are forbidden', async () => {
			const { owner, rest, thread } = await group(3);
			const [b] = rest;
			const eb = groupEvents(b.socket);
			const both = (await ok<{ thread: Thread }>(owner.socket, 'groups:update', { threadId: thread.id, title: 'New name', topic: 'plans' })).thread;
			expect(both).toMatchObject({ title: 'New name', topic: 'plans', lastSeq: 3 });
			const lines = await eb.count('message:new', 2, (p) => p.message.seq > 1);
			expect(lines.map((l) => l.message.system?.type).sort()).toEqual(['title', 'topic']);
			await eb.next('thread:updated', (p) => p.thread.title === 'New name');
			// Unchanged fields write nothing.
			expect((await ok<{ thread: Thread }>(owner.socket, 'groups:update', { threadId: thread.id, title: 'New name', topic: 'plans' })).thread.lastSeq).toBe(3);
			const cleared = (await ok<{ thread: Thread }>(owner.socket, 'groups:update', { threadId: thread.id, topic: '' })).thread;
			expect(cleared).toMatchObject({ topic: '', title: 'New name', lastSeq: 4 });
			expect(cleared.lastMessage?.text).toMatch(/cleared the topic/);
			await fails(b.socket, 'groups:update', { threadId: thread.id, title: 'mine' }, 'forbidden');
			await ok(owner.socket, 'groups:role', { threadId: thread.id, userId: b.user.id, role: 'admin' });
			expect((await ok<{ thread: Thread }>(b.socket, 'groups:update', { threadId: thread.id, title: 'Ours' })).thread.title).toBe('Ours');
		});
	});

	describe('groups:role', () => {
		it('only the owner sets roles; handing ownership makes the old owner an admin', async () => {
			const { owner, rest, thread } = await group(4);
			const [b, c, d] = rest;
			const ec = groupEvents(c.socket);
			const promoted = (await ok<{ thread: Thread }>(owner.socket, 'groups:role', { threadId: thread.id, userId: b.user.id, role: 'admin' })).thread;
			expect(roles(promoted)[b.user.id]).toBe('admin');
			expect((await ec.next('message:new', (p) => p.message.seq === 2)).message.system).toMatchObject({ type: 'role', role: 'admin', users: [{ id: b.user.id }] });
			await fails(b.socket, 'groups:role', { threadId: thread.id, userId: c.user.id, role: 'admin' }, 'forbidden');
			await fails(c.socket, 'groups:role', { threadId: thread.id, userId: c.user.id, role: 'admin' }, 'forbidden');
			await fails(owner.socket, 'groups:role', { threadId: thread.id, userId: owner.user.id, role: 'member' }, 'invalid_input');
			await fails(owner.socket, 'groups:role', { threadId: thread.id, userId: 'nobody', role: 'admin' }, 'conflict');
			// The same role again: nothing written.
			expect((await ok<{ thread: Thread }>(owner.socket, 'groups:role', { threadId: thread.id, userId: b.user.id, role: 'admin' })).thread.lastSeq).toBe(2);
			const demoted = (await ok<{ thread: Thread }>(owner.socket, 'groups:role', { threadId: thread.id, userId: b.user.id, role: 'member' })).thread;
			expect(roles(demoted)[b.user.id]).toBe('member');
			const handed = (await ok<{ thread: Thread }>(owner.socket, 'groups:role', { threadId: thread.id, userId: d.user.id, role: 'owner' })).thread;
			expect(handed.myRole).toBe('admin');
			expect(roles(handed)).toMatchObject({ [owner.user.id]: 'admin', [d.user.id]: 'owner' });
			expect(handed.lastMessage?.system).toMatchObject({ type: 'role', role: 'owner', users: [{ id: d.user.id }] });
			expect(Object.values(roles(handed)).filter((r) => r === 'owner')).toHaveLength(1);
			await fails(owner.socket, 'groups:role', { threadId: thread.id, userId: c.user.id, role: 'admin' }, 'forbidden');
			await ok(d.socket, 'groups:role', { threadId: thread.id, userId: c.user.id, role: 'admin' });
		});
	});

	describe('who may touch a group', () => {
		it('outsiders, private threads and unknown ids all get not_found, with the same message', async () => {
			const { owner, rest, thread } = await group(3);
			const [x, y] = await people(t, 2);
			const privateThread = await befriend(x, y);
			await befriend(owner, x);
			const requests: Array<[string, (id: string) => object]> = [
				['groups:add', (id) => ({ threadId: id, userIds: [owner.user.id] })],
				['groups:remove', (id) => ({ threadId: id, userId: rest[0].user.id })],
				['groups:leave', (id) => ({ threadId: id })],
				['groups:update', (id) => ({ threadId: id, title: 'mine' })],
				['groups:role', (id) => ({ threadId: id, userId: rest[0].user.id, role: 'admin' })],
				['threads:get', (id) => ({ threadId: id })],
				['messages:list', (id) => ({ threadId: id })],
				['messages:send', (id) => ({ threadId: id, clientId: clientId(), text: 'hi' })],
				['messages:readers', (id) => ({ threadId: id, seq: 1 })],
				['typing', (id) => ({ threadId: id })]
			];
			for (const [event, payload] of requests) {
				const missing = await fails(x.socket, event, payload('no-such-thread'), 'not_found');
				const outsider = await fails(x.socket, event, payload(thread.id), 'not_found');
				expect(outsider.message, event).toBe(missing.message.replace('no-such-thread', thread.id));
			}
			for (const [event, payload] of requests.slice(0, 5)) {
				const onPrivate = await fails(x.socket, event, payload(privateThread.id), 'not_found');
				expect(onPrivate.message).toBe(`thread "${privateThread.id}" not found`);
			}
			expect((await getThread(owner.socket, thread.id)).lastSeq).toBe(1);
		});
	});

	describe('presence', () => {
		it('members who are not friends see each other online and hear presence; once removed, no more', async () => {
			const { owner, rest, thread } = await group(3);
			const [b, c] = rest;
			const eb = groupEvents(b.socket);
			expect((await getThread(b.socket, thread.id)).members.find((m) => m.id === c.user.id)).toMatchObject({ relationship: 'none', online: true });
			c.socket.disconnect();
			expect(await eb.next('presence', (p) => p.userId === c.user.id)).toEqual({ userId: c.user.id, online: false });
			expect((await getThread(b.socket, thread.id)).members.find((m) => m.id === c.user.id)?.online).toBe(false);
			const c2 = await device(t, c);
			expect(await eb.next('presence', (p) => p.userId === c.user.id && p.online)).toEqual({ userId: c.user.id, online: true });
			await ok(owner.socket, 'groups:remove', { threadId: thread.id, userId: c.user.id });
			eb.clear();
			c2.disconnect();
			await device(t, c);
			expect(await eb.none('presence', (p) => p.userId === c.user.id, 500)).toBe(true);
		});
	});

	describe('mentions', () => {
		it('@username and @everyone (owner and admins only) count as unread mentions per member until read', async () => {
			const { owner, rest, thread } = await group(3);
			const [b, c] = rest;
			const [x] = await people(t, 1);
			const mentionsOf = async (p: Person) => (await getThread(p.socket, thread.id)).mentions;
			expect(await mentionsOf(b)).toBe(0);
			await send(c.socket, thread.id, `thanks @${b.user.username.toUpperCase()}. and @${x.user.username}, mail ${b.user.username}@example.com`);
			expect([await mentionsOf(owner), await mentionsOf(b), await mentionsOf(c)]).toEqual([0, 1, 0]);
			// A member's @everyone mentions no one; the owner's (any case) everyone but the owner.
			await send(b.socket, thread.id, '@everyone look');
			expect([await mentionsOf(owner), await mentionsOf(c)]).toEqual([0, 0]);
			const ec = groupEvents(c.socket);
			await send(owner.socket, thread.id, '@Everyone meeting at 5');
			// b has read up to its own message, so only the owner's mention is unread for b now.
			expect([await mentionsOf(owner), await mentionsOf(b), await mentionsOf(c)]).toEqual([0, 1, 1]);
			// thread:updated carries each member's own count; threads:list too.
			await ok(owner.socket, 'groups:update', { threadId: thread.id, topic: 'mentions' });
			expect((await ec.next('thread:updated', (p) => p.thread.topic === 'mentions')).thread.mentions).toBe(1);
			const listed = (await ok<ThreadsListResponse>(c.socket, 'threads:list', {})).threads.find((x) => x.id === thread.id);
			expect(listed?.mentions).toBe(1);
			const last = (await getThread(c.socket, thread.id)).lastSeq;
			await ok(c.socket, 'messages:read', { threadId: thread.id, seq: last });
			expect(await mentionsOf(c)).toBe(0);
			// Private threads have no count.
			const [p, q] = await people(t, 2);
			const pair = await befriend(p, q);
			await send(p.socket, pair.id, `@${q.user.username}`);
			expect((await getThread(q.socket, pair.id)).mentions).toBeUndefined();
		});
	});

	describe('messages:readers', () => {
		it('names the other members who read a message and those who only have it, not its sender', async () => {
			const { owner, rest, thread } = await group(4);
			const [b, c, d] = rest;
			const m = await send(owner.socket, thread.id, 'who reads this?');
			await ok(b.socket, 'messages:read', { threadId: thread.id, seq: m.seq });
			await ok(c.socket, 'messages:delivered', { threadId: thread.id, seq: m.seq });
			const seen = await ok<MessagesReadersResponse>(d.socket, 'messages:readers', { threadId: thread.id, seq: m.seq });
			expect(seen.readers.map((u) => u.id)).toEqual([b.user.id]);
			expect(seen.deliveredTo.map((u) => u.id)).toEqual([c.user.id]);
			expect(seen.readers[0].relationship).toBe('none');
			const view = await getThread(owner.socket, thread.id);
			expect(view.peerReadSeq).toBe(0);
			expect(view.members.find((x) => x.id === b.user.id)).toMatchObject({ readSeq: m.seq, deliveredSeq: m.seq });
			// The system line's sender (the owner) is left out too; b has read up to it as well.
			const first = await ok<MessagesReadersResponse>(owner.socket, 'messages:readers', { threadId: thread.id, seq: 1 });
			expect(first.readers.map((u) => u.id)).toEqual([b.user.id]);
			await fails(owner.socket, 'messages:readers', { threadId: thread.id, seq: m.seq + 1 }, 'not_found');
			// Private threads too.
			const [p, q] = await people(t, 2);
			const pair = await befriend(p, q);
			const pm = await send(p.socket, pair.id, 'hello');
			await ok(q.socket, 'messages:read', { threadId: pair.id, seq: pm.seq });
			expect((await ok<MessagesReadersResponse>(p.socket, 'messages:readers', { threadId: pair.id, seq: pm.seq })).readers.map((u) => u.id)).toEqual([q.user.id]);
		});
	});

	describe('bad input', () => {
		const cases: Array<[string, (threadId: string, userId: string) => unknown]> = [
			['groups:create', () => null],
			['groups:create', () => ({})],
			['groups:create', (_, u) => ({ title: 5, memberIds: [u] })],
			['groups:create', (_, u) => ({ title: '', memberIds: [u] })],
			['groups:create', (_, u) => ({ title: '   ', memberIds: [u] })],
			['groups:create', (_, u) => ({ title: 'x'.repeat(101), memberIds: [u] })],
			['groups:create', (_, u) => ({ title: '😀'.repeat(101), memberIds: [u] })],
			['groups:create', (_, u) => ({ title: 'x'.repeat(100_000), memberIds: [u] })],
			['groups:create', (_, u) => ({ title: 'a\u0007b', memberIds: [u] })],
			['groups:create', (_, u) => ({ title: 'a\nb', memberIds: [u] })],
			['groups:create', (_, u) => ({ title: 'a\u0085b', memberIds: [u] })],
			['groups:create', (_, u) => ({ title: 'a\uD800b', memberIds: [u] })],
			['groups:create', (_, u) => ({ title: 'ok', topic: 'x'.repeat(501), memberIds: [u] })],
			['groups:create', (_, u) => ({ title: 'ok', topic: 'a\u0000b', memberIds: [u] })],
			['groups:create', () => ({ title: 'ok', memberIds: [] })],
			['groups:create', (_, u) => ({ title: 'ok', memberIds: u })],
			['groups:create', () => ({ title: 'ok', memberIds: [5] })],
			['groups:create', () => ({ title: 'ok', memberIds: ['x'.repeat(33)] })],
			['groups:create', () => ({ title: 'ok', memberIds: Array.from({ length: 257 }, (_, i) => `u${i}`) })],
			['groups:create', (_, u) => ({ title: 'ok', memberIds: [u], extra: true })],
			['groups:add', (id) => ({ threadId: id })],
			['groups:add', (id) => ({ threadId: id, userIds: [] })],
			['groups:add', (id, u) => ({ threadId: id, userIds: [{ id: u }] })],
			['groups:add', (_, u) => ({ threadId: 7, userIds: [u] })],
			['groups:remove', (id) => ({ threadId: id, userId: '' })],
			['groups:remove', (id) => ({ threadId: id, userId: null })],
			['groups:leave', () => ({ threadId: ['x'] })],
			['groups:leave', () => 'thread'],
			['groups:update', (id) => ({ threadId: id })],
			['groups:update', (id) => ({ threadId: id, title: '' })],
			['groups:update', (id) => ({ threadId: id, title: 'x'.repeat(101) })],
			['groups:update', (id) => ({ threadId: id, topic: 5 })],
			['groups:update', (id) => ({ threadId: id, title: 'a\u001bb' })],
			['groups:role', (id, u) => ({ threadId: id, userId: u, role: 'king' })],
			['groups:role', (id, u) => ({ threadId: id, userId: u })],
			['groups:role', (id, u) => ({ threadId: id, userId: u, role: 'OWNER' })],
			['messages:readers', (id) => ({ threadId: id })],
			['messages:readers', (id) => ({ threadId: id, seq: 0 })],
			['messages:readers', (id) => ({ threadId: id, seq: 1.5 })],
			['messages:readers', (id) => ({ threadId: id, seq: '1' })],
			['messages:readers', (id) => ({ threadId: id, seq: 2 ** 31 })]
		];

		it('every malformed request is a clear invalid_input ack and changes nothing', async () => {
			const { owner, rest, thread } = await group(3);
			const before = await getThread(owner.socket, thread.id);
			const threadsBefore = (await ok<ThreadsListResponse>(owner.socket, 'threads:list', {})).threads.length;
			for (const [event, payload] of cases) {
				const error = await fails(owner.socket, event, payload(thread.id, rest[0].user.id), 'invalid_input');
				expect(error.message.length, event).toBeLessThan(300);
			}
			expect(await getThread(owner.socket, thread.id)).toEqual(before);
			expect((await ok<ThreadsListResponse>(owner.socket, 'threads:list', {})).threads.length).toBe(threadsBefore);
			// Other people's groups and unknown people: refused, nothing changed.
			const other = await group(2, 'Theirs');
			await fails(owner.socket, 'groups:update', { threadId: other.thread.id, title: 'mine now' }, 'not_found');
			await fails(owner.socket, 'groups:add', { threadId: thread.id, userIds: ['nobody-at-all'] }, 'invalid_input');
			await fails(owner.socket, 'groups:role', { threadId: thread.id, userId: other.owner.user.id, role: 'admin' }, 'conflict');
			expect((await getThread(other.owner.socket, other.thread.id)).title).toBe('Theirs');
			expect(await getThread(owner.socket, thread.id)).toEqual(before);
		});
	});

	describe('messages in a group', () => {
		it('reach every member once with gapless seqs after the system lines; receipts per member', async () => {
			const { owner, rest, thread } = await group(3);
			const events = [owner.socket, ...rest.map((r) => r.socket)].map(groupEvents);
			const sent: Message[] = [];
			for (const [i, p] of [owner, ...rest].entries()) sent.push(await send(p.socket, thread.id, `hello ${i}`));
			expect(sent.map((m) => m.seq)).toEqual([2, 3, 4]);
			for (const e of events) {
				const got = await e.count('message:new', 3, (p) => p.message.seq > 1);
				expect(got.map((g) => g.message.seq).sort()).toEqual([2, 3, 4]);
			}
			await ok(rest[0].socket, 'messages:read', { threadId: thread.id, seq: 4 });
			for (const e of events) await e.next('message:status', (p) => p.userId === rest[0].user.id && p.readSeq === 4);
			const view = await getThread(owner.socket, thread.id);
			// The lowest of the others: rest[1] has read up to its own message (4), rest[0] up to 4.
			expect(view.peerReadSeq).toBe(4);
			expect(view.unread).toBe(2);
		});
	});
});
