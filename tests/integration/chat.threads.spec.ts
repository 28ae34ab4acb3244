import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thread, ThreadsListResponse } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, Events, fails, ok, people, person, send, sleep, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// PROTOCOL.md 2: threads:open, threads:list, threads:get (extension); membership on every access.
describe.each(backendNames())('threads on %s', (backend) => {
	let t: TestParley;
	let v: Person;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
		v = await person(t);
	});
	afterAll(async () => t?.stop());

	describe('threads:open', () => {
		it('gives the friends\' private thread, the same every time and from either side', async () => {
			const [a, b] = await people(t, 2);
			const accepted = await befriend(a, b);
			const fromA = (await ok<{ thread: Thread }>(a.socket, 'threads:open', { userId: b.user.id })).thread;
			const again = (await ok<{ thread: Thread }>(a.socket, 'threads:open', { userId: b.user.id })).thread;
			const fromB = (await ok<{ thread: Thread }>(b.socket, 'threads:open', { userId: a.user.id })).thread;
			expect(fromA.id).toBe(accepted.id);
			expect(again.id).toBe(accepted.id);
			expect(fromB.id).toBe(accepted.id);
			expect(fromA.peer).toMatchObject({ id: b.user.id, relationship: 'friend', online: true });
			expect(fromB.peer?.id).toBe(a.user.id);
			expect(fromA.members.find((m) => m.id === a.user.id)?.relationship).toBe('self');
			const parallel = await Promise.all([1, 2, 3].map(() => ok<{ thread: Thread }>(a.socket, 'threads:open', { userId: b.user.id })));
			expect(new Set(parallel.map((p) => p.thread.id))).toEqual(new Set([accepted.id]));
		});

		it('forbidden with someone who is not a friend (pending or not), invalid_input with yourself', async () => {
			const [a, b, c] = await people(t, 3);
			await ok(a.socket, 'friends:request', { userId: b.user.id });
			await fails(a.socket, 'threads:open', { userId: b.user.id }, 'forbidden');
			await fails(b.socket, 'threads:open', { userId: a.user.id }, 'forbidden');
			await fails(a.socket, 'threads:open', { userId: c.user.id }, 'forbidden');
			await fails(a.socket, 'threads:open', { userId: 'nobody' }, 'forbidden');
			await fails(a.socket, 'threads:open', { userId: a.user.id }, 'invalid_input');
		});

		it.each([
			['no userId', {}],
			['a null payload', null],
			['an array', [1, 2]],
			['a too-long userId', { userId: 'u'.repeat(33) }]
		])('invalid_input for %s', async (_label, payload) => {
			await fails(v.socket, 'threads:open', payload, 'invalid_input');
		});
	});

	describe('threads:get (extension)', () => {
		it('members get the thread; everyone else not_found, like a thread that does not exist', async () => {
			const [a, b, c] = await people(t, 3);
			const thread = await befriend(a, b);
			expect((await ok<{ thread: Thread }>(a.socket, 'threads:get', { threadId: thread.id })).thread.id).toBe(thread.id);
			const outsider = await fails(c.socket, 'threads:get', { threadId: thread.id }, 'not_found');
			const missing = await fails(c.socket, 'threads:get', { threadId: 'no-such-thread' }, 'not_found');
			expect(outsider.message).toContain(thread.id);
			expect(missing.message).toContain('no-such-thread');
		});
	});

	describe('threads:list', () => {
		it('newest activity first, paged by an opaque cursor, with peer, lastMessage and unread', async () => {
			const [me, ...friends] = await people(t, 5);
			const threads: Thread[] = [];
			for (const f of friends) threads.push(await befriend(f, me));
			// Activity order (oldest first): 2, 0, 3, 1 => list order 1, 3, 0, 2.
			for (const i of [2, 0, 3, 1]) {
				await send(friends[i].socket, threads[i].id, `from friend ${i}`);
				await sleep(3);
			}
			await send(me.socket, threads[1].id, 'my reply');
			await send(friends[3].socket, threads[3].id, 'second from 3');

			const page1 = await ok<ThreadsListResponse>(me.socket, 'threads:list', { limit: 2 });
			expect(page1.threads.map((x) => x.id)).toEqual([threads[3].id, threads[1].id]);
			expect(typeof page1.nextCursor).toBe('string');
			const page2 = await ok<ThreadsListResponse>(me.socket, 'threads:list', { limit: 2, cursor: page1.nextCursor });
			expect(page2.threads.map((x) => x.id)).toEqual([threads[0].id, threads[2].id]);
			// The last page says so: no empty page to fetch.
			expect(page2.nextCursor).toBeNull();
			const page3 = await ok<ThreadsListResponse>(me.socket, 'threads:list', { limit: 3, cursor: page1.nextCursor });
			expect(page3.threads.map((x) => x.id)).toEqual([threads[0].id, threads[2].id]);
			const all = await ok<ThreadsListResponse>(me.socket, 'threads:list', {});
			expect(all.threads.map((x) => x.id)).toEqual([threads[3].id, threads[1].id, threads[0].id, threads[2].id]);
			expect(all.nextCursor).toBeNull();

			const [t3, t1, t0] = all.threads;
			expect(t3).toMatchObject({ kind: 'private', lastSeq: 2, unread: 2, readSeq: 0, peerReadSeq: 2 });
			expect(t3.lastMessage).toMatchObject({ seq: 2, text: 'second from 3', senderId: friends[3].user.id, kind: 'text' });
			expect(t3.peer).toMatchObject({ id: friends[3].user.id, relationship: 'friend', online: true });
			expect(t3.updatedAt).toBe(t3.lastMessage!.createdAt);
			// Your own message counts as read: unread is what came after it.
			expect(t1).toMatchObject({ lastSeq: 2, unread: 0, readSeq: 2, deliveredSeq: 2, peerReadSeq: 1 });
			expect(t0).toMatchObject({ lastSeq: 1, unread: 1 });

			await ok(me.socket, 'messages:read', { threadId: threads[3].id, seq: 1 });
			const after = await ok<ThreadsListResponse>(me.socket, 'threads:list', { limit: 1 });
			expect(after.threads[0]).toMatchObject({ id: threads[3].id, unread: 1, readSeq: 1, deliveredSeq: 1 });
			// The friend sees the receipt on their side of the thread.
			const theirs = await ok<{ thread: Thread }>(friends[3].socket, 'threads:get', { threadId: threads[3].id });
			expect(theirs.thread).toMatchObject({ peerReadSeq: 1, peerDeliveredSeq: 1, unread: 0 });
		});

		it('a thread with no messages sorts by when it was made; others never appear', async () => {
			const [a, b, c, d] = await people(t, 4);
			const ab = await befriend(a, b);
			await sleep(3);
			const ac = await befriend(a, c);
			await befriend(c, d);
			const list = await ok<ThreadsListResponse>(a.socket, 'threads:list', {});
			expect(list.threads.map((x) => x.id)).toEqual([ac.id, ab.id]);
			expect(list.threads[0]).toMatchObject({ lastSeq: 0, lastMessage: null, unread: 0 });
		});

		it('a new message moves its thread to the top and fires message:new to the reader', async () => {
			const [a, b, c] = await people(t, 3);
			const ab = await befriend(a, b);
			await sleep(3);
			const ac = await befriend(a, c);
			const events = new Events(a.socket);
			await send(b.socket, ab.id, 'bump');
			expect((await events.next('message:new')).message.threadId).toBe(ab.id);
			const list = await ok<ThreadsListResponse>(a.socket, 'threads:list', {});
			expect(list.threads.map((x) => x.id)).toEqual([ab.id, ac.id]);
		});

		it.each([
			['a cursor it did not make', { cursor: 'not-a-cursor' }],
			['a cursor of the wrong shape', { cursor: Buffer.from('{"a":1}').toString('base64url') }],
			['a cursor that is too long', { cursor: 'c'.repeat(201) }],
			['limit 0', { limit: 0 }],
			['limit as a string', { limit: '5' }],
			['an unknown field', { before: 'x' }]
		])('invalid_input for %s', async (_label, payload) => {
			await fails(v.socket, 'threads:list', payload, 'invalid_input');
		});
	});
});
