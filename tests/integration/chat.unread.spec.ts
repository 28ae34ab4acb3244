import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Thread, ThreadsListResponse } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, Events, ok, people, send } from '../helpers/chat.js';
import { befriendAll, createGroup, getThread, groupEvents } from '../helpers/groups.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// PROTOCOL.md, Thread.unread: messages above your readSeq from someone else, not a call's line and
// not deleted. Counted by the database (the `messages_unread` index) on every backend.
describe.each(backendNames())('unread counts on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { redis: !!process.env.TEST_REDIS && process.env.TEST_REDIS !== '0', parley: { limits: { codesPerIp: 10_000 } } });
	});
	afterAll(async () => t?.stop());

	/** A call's line as the media role stores it when a call ends (no SFU needed for that). */
	const callLine = (callerId: string, threadId: string, outcome: 'missed' | 'completed' | 'declined' = 'missed') =>
		t.parley.chat!.messages.sendCall(callerId, { threadId, callId: crypto.randomUUID(), summary: { callKind: 'audio', durationSec: outcome === 'completed' ? 42 : 0, outcome } });

	const listed = async (socket: Parameters<typeof getThread>[0], threadId: string): Promise<Thread | undefined> =>
		(await ok<ThreadsListResponse>(socket, 'threads:list', {})).threads.find((x) => x.id === threadId);

	it('a call line is not unread, for the callee nor the caller, and it does not hide what came before', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const events = new Events(a.socket);
		await send(b.socket, thread.id, 'are you there?');
		const missed = await callLine(b.user.id, thread.id);
		expect(missed).toMatchObject({ kind: 'call', seq: 2, senderId: b.user.id });
		await events.next('message:new', (p) => p.message.seq === 2);
		// a: the text is unread, the call line is not; lastSeq and readSeq are as they were.
		expect(await getThread(a.socket, thread.id)).toMatchObject({ lastSeq: 2, readSeq: 0, unread: 1 });
		expect(await listed(a.socket, thread.id)).toMatchObject({ lastSeq: 2, unread: 1 });
		// A call line alone, after everything was read: nothing unread.
		await ok(a.socket, 'messages:read', { threadId: thread.id, seq: 2 });
		await callLine(b.user.id, thread.id, 'completed');
		await callLine(a.user.id, thread.id, 'declined');
		expect(await getThread(a.socket, thread.id)).toMatchObject({ lastSeq: 4, unread: 0 });
		expect(await getThread(b.socket, thread.id)).toMatchObject({ lastSeq: 4, unread: 0 });
		// What comes after a call line counts as before.
		await send(b.socket, thread.id, 'call me back');
		expect(await getThread(a.socket, thread.id)).toMatchObject({ lastSeq: 5, unread: 1 });
	});

	it("the caller's own call line does not read for them what came before it (in a group: what was said during the call)", async () => {
		const [owner, b, c] = await people(t, 3);
		await befriendAll(owner, [b, c]);
		const group = await createGroup(owner, [b, c], 'Call');
		// The owner starts a group call; b and c talk in the group meanwhile; the call's line closes it.
		await send(b.socket, group.id, 'joining in a minute');
		await send(c.socket, group.id, 'me too');
		const line = await callLine(owner.user.id, group.id, 'completed');
		expect(line).toMatchObject({ kind: 'call', seq: 4, senderId: owner.user.id });
		expect(await getThread(owner.socket, group.id)).toMatchObject({ lastSeq: 4, readSeq: 1, deliveredSeq: 1, unread: 2 });
		// In a private thread too: the caller's mark stays where it was.
		const [x, y] = await people(t, 2);
		const pair = await befriend(x, y);
		await send(y.socket, pair.id, 'did you see my note?');
		await callLine(x.user.id, pair.id, 'missed');
		expect(await getThread(x.socket, pair.id)).toMatchObject({ lastSeq: 2, readSeq: 0, unread: 1 });
		// Reading it is up to them, as for any message.
		await ok(x.socket, 'messages:read', { threadId: pair.id, seq: 2 });
		expect(await getThread(x.socket, pair.id)).toMatchObject({ readSeq: 2, unread: 0 });
	});

	it('a deleted message stops counting the moment it is deleted; read ones change nothing', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const sent: Message[] = [];
		for (const text of ['one', 'two', 'three']) sent.push(await send(b.socket, thread.id, text));
		expect((await getThread(a.socket, thread.id)).unread).toBe(3);
		await ok(b.socket, 'messages:delete', { threadId: thread.id, seq: sent[1].seq });
		expect(await getThread(a.socket, thread.id)).toMatchObject({ lastSeq: 3, readSeq: 0, unread: 2 });
		expect((await listed(a.socket, thread.id))?.unread).toBe(2);
		await ok(a.socket, 'messages:read', { threadId: thread.id, seq: 1 });
		await ok(b.socket, 'messages:delete', { threadId: thread.id, seq: sent[0].seq });
		expect(await getThread(a.socket, thread.id)).toMatchObject({ readSeq: 1, unread: 1 });
	});

	it('own messages never count, even above the read mark', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		await send(b.socket, thread.id, 'hi');
		await send(a.socket, thread.id, 'hello');
		await send(a.socket, thread.id, 'how are you?');
		// Sending moves the sender's read mark to their message (everything before it counts as seen).
		expect(await getThread(a.socket, thread.id)).toMatchObject({ lastSeq: 3, readSeq: 3, unread: 0 });
		// A read mark below one's own messages (not reachable through the protocol, which never lowers
		// it): the count still skips them and counts only b's.
		await t.parley.db.db.updateTable('thread_members').set({ read_seq: 0 }).where('thread_id', '=', thread.id).where('user_id', '=', a.user.id).execute();
		expect(await getThread(a.socket, thread.id)).toMatchObject({ readSeq: 0, unread: 1 });
		expect(await getThread(b.socket, thread.id)).toMatchObject({ readSeq: 1, unread: 2 });
	});

	it("in a group each member's thread:updated counts their own unread, without call lines and tombstones", async () => {
		const [owner, b, c] = await people(t, 3);
		await befriendAll(owner, [b, c]);
		const group = await createGroup(owner, [b, c], 'Unread');
		// seq 1: the created line (unread for b and c: news about the group).
		await send(b.socket, group.id, 'hello all');
		const oops = await send(b.socket, group.id, 'wrong group');
		await ok(b.socket, 'messages:delete', { threadId: group.id, seq: oops.seq });
		await callLine(owner.user.id, group.id, 'completed');
		const watching = [owner, b, c].map((p) => groupEvents(p.socket));
		await ok(owner.socket, 'groups:update', { threadId: group.id, title: 'Unread 2' });
		const views = await Promise.all(watching.map((e) => e.next('thread:updated', (p) => p.thread.title === 'Unread 2')));
		// owner: everything up to its own rename line read. b: read up to its own (deleted) message; then
		// the call line (not counted) and the rename line (counted). c: created, hello, rename.
		expect(views.map((v) => v.thread.unread)).toEqual([0, 1, 3]);
		for (const [i, p] of [owner, b, c].entries()) expect((await getThread(p.socket, group.id)).unread).toBe(views[i].thread.unread);
	});
});
