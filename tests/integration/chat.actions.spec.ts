import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, MessageChangedEvent, MessagesChangesResponse, MessagesListResponse, Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, device, Events, fails, ok, people, send, sleep, type Person } from '../helpers/chat.js';
import { download, upload } from '../helpers/files.js';
import { befriendAll, createGroup } from '../helpers/groups.js';
import type { ClientSocket } from '../helpers/parley.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md, "Message actions": edit, delete for everyone, reactions, replies, and the change
// feed a device that was offline catches up from; every refusal with its code and field.
describe.each(backendNames())('message actions on %s', (backend) => {
	let t: TestParley;

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
	});
	afterAll(async () => t?.stop());

	async function pair(): Promise<{ a: Person; b: Person; thread: Thread }> {
		const [a, b] = await people(t, 2);
		return { a, b, thread: await befriend(a, b) };
	}

	const watch = (s: ClientSocket) => new Events(s, ['message:new', 'message:changed']);
	const changedOf = (events: Events, id: string) => events.all('message:changed', (p) => p.message.id === id);
	const row = (id: string) => t.parley.db.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
	const list = (s: ClientSocket, threadId: string) => ok<MessagesListResponse>(s, 'messages:list', { threadId, limit: 100 });

	it('edit: the text changes in place, "edited" is set, every device of both sees it once and in history', async () => {
		const { a, b, thread } = await pair();
		const a2 = await device(t, a);
		const b2 = await device(t, b);
		const sent = await send(a.socket, thread.id, 'helo');
		const all = [a.socket, a2, b.socket, b2].map(watch);
		const { message } = await ok<{ message: Message }>(a.socket, 'messages:edit', { threadId: thread.id, seq: sent.seq, text: 'hello' });
		expect(message).toMatchObject({ id: sent.id, seq: sent.seq, text: 'hello', editedAt: expect.any(String), changeSeq: 1 });
		for (const events of all) expect((await events.next('message:changed', (p) => p.message.id === sent.id)) as MessageChangedEvent).toEqual({ message, change: 'edited' });
		await sleep(100);
		for (const events of all) expect(changedOf(events, sent.id)).toHaveLength(1);
		expect((await list(b.socket, thread.id)).messages.find((m) => m.id === sent.id)).toEqual(message);
		// In place: the row's text is the new one (the search indexes read that column).
		expect((await row(sent.id)).text).toBe('hello');
		// The same text again changes nothing and sends nothing.
		expect((await ok(a.socket, 'messages:edit', { threadId: thread.id, seq: sent.seq, text: 'hello' })).message).toEqual(message);
		expect(await all[2].none('message:changed', (p) => p.message.id === sent.id && p.message.changeSeq !== 1, 200)).toBe(true);
		// Earlier texts: the sender only.
		await ok(a.socket, 'messages:edit', { threadId: thread.id, seq: sent.seq, text: 'hello!' });
		expect((await ok(a2, 'messages:edits', { threadId: thread.id, seq: sent.seq })).edits.map((e: { text: string }) => e.text)).toEqual(['helo', 'hello']);
		expect((await fails(b.socket, 'messages:edits', { threadId: thread.id, seq: sent.seq }, 'forbidden')).message).toMatch(/not yours/);
		a2.disconnect();
		b2.disconnect();
	});

	it('edit refusals: not yours, outside the window, too long, unknown message, non-member, deleted; nothing changes', async () => {
		const { a, b, thread } = await pair();
		const [eve] = await people(t, 1);
		const sent = await send(a.socket, thread.id, 'original');
		const edit = (s: ClientSocket, payload: object, code: string) => fails(s, 'messages:edit', { threadId: thread.id, seq: sent.seq, text: 'x', ...payload }, code);
		expect((await edit(b.socket, {}, 'forbidden')).message).toBe(`message ${sent.seq} of thread "${thread.id}" is not yours: only its sender can edit it`);
		expect((await edit(a.socket, { text: 'x'.repeat(4001) }, 'invalid_input')).fields).toEqual({ text: 'text is at most 4000 characters' });
		expect((await edit(a.socket, { text: '   ' }, 'invalid_input')).fields).toEqual({ text: 'text must not be only whitespace' });
		expect((await edit(a.socket, { seq: 999 }, 'not_found')).message).toBe(`message 999 of thread "${thread.id}" not found`);
		expect((await edit(a.socket, { seq: 0 }, 'invalid_input')).fields).toEqual({ seq: 'seq is at least 1' });
		expect((await edit(a.socket, { senderId: a.user.id }, 'invalid_input')).fields).toHaveProperty('senderId');
		expect((await edit(eve.socket, {}, 'not_found')).message).toBe(`thread "${thread.id}" not found`);
		// Outside the window: the message is made two days old.
		const old = await send(a.socket, thread.id, 'old');
		await t.parley.db.db.updateTable('messages').set({ created_at: new Date(Date.now() - 2 * 86_400_000 - 60_000).toISOString() }).where('id', '=', old.id).execute();
		expect((await fails(a.socket, 'messages:edit', { threadId: thread.id, seq: old.seq, text: 'new' }, 'conflict')).message).toMatch(/more than 2880 minutes ago; it can no longer be edited/);
		await ok(a.socket, 'messages:delete', { threadId: thread.id, seq: sent.seq });
		expect((await edit(a.socket, {}, 'conflict')).message).toBe(`message ${sent.seq} of thread "${thread.id}" was deleted`);
		expect((await row(old.id)).text).toBe('old');
		// Only the delete above took a change number.
		expect((await ok<{ thread: Thread }>(a.socket, 'threads:get', { threadId: thread.id })).thread.lastChangeSeq).toBe(1);
	});

	it('delete: a tombstone keeps its seq; text, edits, reactions and the quote are gone from the database', async () => {
		const { a, b, thread } = await pair();
		const first = await send(a.socket, thread.id, 'first');
		const sent = (await ok(a.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'secret', replyToSeq: first.seq })).message as Message;
		await ok(a.socket, 'messages:edit', { threadId: thread.id, seq: sent.seq, text: 'secret 2' });
		await ok(b.socket, 'messages:react', { threadId: thread.id, seq: sent.seq, emoji: '👍' });
		const last = await send(b.socket, thread.id, 'after');
		const events = watch(b.socket);
		const before = (await ok<{ thread: Thread }>(b.socket, 'threads:get', { threadId: thread.id })).thread;
		const { message } = await ok<{ message: Message }>(a.socket, 'messages:delete', { threadId: thread.id, seq: sent.seq });
		expect(message).toEqual({ id: sent.id, threadId: thread.id, seq: sent.seq, senderId: a.user.id, clientId: sent.clientId, kind: 'text', createdAt: sent.createdAt, deleted: true, changeSeq: 3 });
		expect(await events.next('message:changed', (p) => p.message.id === sent.id)).toEqual({ message, change: 'deleted' });
		const stored = await row(sent.id);
		expect(stored).toMatchObject({ text: null, file_id: null, reply_snippet: null, seq: sent.seq });
		expect(stored.deleted_at).not.toBeNull();
		expect(await t.parley.db.db.selectFrom('message_edits').selectAll().where('message_id', '=', sent.id).execute()).toEqual([]);
		expect(await t.parley.db.db.selectFrom('reactions').selectAll().where('message_id', '=', sent.id).execute()).toEqual([]);
		// Seqs, unread counts and gap fill are as before.
		const after = (await ok<{ thread: Thread }>(b.socket, 'threads:get', { threadId: thread.id })).thread;
		expect([after.lastSeq, after.unread]).toEqual([before.lastSeq, before.unread]);
		expect((await ok<MessagesListResponse>(b.socket, 'messages:list', { threadId: thread.id, afterSeq: first.seq })).messages.map((m) => m.seq)).toEqual([sent.seq, last.seq]);
		// Again: the same tombstone, no event; someone else's: forbidden.
		expect((await ok(a.socket, 'messages:delete', { threadId: thread.id, seq: sent.seq })).message).toEqual(message);
		expect((await fails(a.socket, 'messages:delete', { threadId: thread.id, seq: last.seq }, 'forbidden')).message).toMatch(/not yours: only its sender can delete it/);
		expect((await fails(a.socket, 'messages:react', { threadId: thread.id, seq: sent.seq, emoji: '👍' }, 'conflict')).message).toMatch(/was deleted/);
		expect((await fails(a.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'q', replyToSeq: sent.seq }, 'conflict')).message).toMatch(/was deleted; it cannot be quoted/);
	});

	it("delete of a file message: the file goes too (row, bytes; its download 404s)", async () => {
		const { a, b, thread } = await pair();
		const events = watch(b.socket);
		const { fileId } = await upload(t, a.token, Buffer.from('attached bytes'), { filename: 'notes.txt', threadId: thread.id });
		const { message: fileMessage } = await events.next('message:new', (p) => p.message.file?.id === fileId);
		expect((await download(t, b.token, fileId)).status).toBe(200);
		const tusDir = path.join(t.parley.config.uploadDir, 'tus');
		const owned = fs.readdirSync(tusDir).filter((f) => f.startsWith(`${a.user.id}_`));
		expect(owned.length).toBeGreaterThan(0);
		// A reply quotes the file by its name, and keeps the quote after the delete.
		const reply = (await ok(b.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'got it', replyToSeq: fileMessage.seq })).message as Message;
		expect(reply.replyTo).toEqual({ seq: fileMessage.seq, senderId: a.user.id, snippet: 'notes.txt' });
		const { message } = await ok<{ message: Message }>(a.socket, 'messages:delete', { threadId: thread.id, seq: fileMessage.seq });
		expect(message).toMatchObject({ kind: 'file', deleted: true });
		expect(message.file).toBeUndefined();
		expect(await t.parley.db.db.selectFrom('files').selectAll().where('id', '=', fileId).execute()).toEqual([]);
		expect((await download(t, b.token, fileId)).status).toBe(404);
		expect(fs.readdirSync(tusDir).filter((f) => f.startsWith(`${a.user.id}_`))).toEqual([]);
		expect((await list(b.socket, thread.id)).messages.find((m) => m.id === reply.id)?.replyTo).toEqual(reply.replyTo);
	});

	it('reactions: any emoji, one of each per person, counts with who reacted, live to both; bad ones refused', async () => {
		const { a, b, thread } = await pair();
		const sent = await send(a.socket, thread.id, 'react to me');
		const events = watch(a.socket);
		const react = (s: ClientSocket, emoji: string, remove?: boolean) => ok<{ message: Message }>(s, 'messages:react', { threadId: thread.id, seq: sent.seq, emoji, ...(remove ? { remove } : {}) });
		await react(a.socket, '👍');
		await react(b.socket, '👍');
		// MariaDB's default collations take these two for one another; they are different reactions.
		await react(b.socket, '🍣');
		const { message } = await react(b.socket, '🍺');
		expect(message.reactions).toEqual([
			{ emoji: '👍', count: 2, userIds: [a.user.id, b.user.id] },
			{ emoji: '🍣', count: 1, userIds: [b.user.id] },
			{ emoji: '🍺', count: 1, userIds: [b.user.id] }
		]);
		expect((await events.next('message:changed', (p) => p.message.changeSeq === message.changeSeq)).message).toEqual(message);
		// Twice is once; taking back twice is once.
		expect((await react(b.socket, '👍')).message).toEqual(message);
		const removed = (await react(b.socket, '👍', true)).message;
		expect(removed.reactions?.[0]).toEqual({ emoji: '👍', count: 1, userIds: [a.user.id] });
		expect((await react(b.socket, '👍', true)).message).toEqual(removed);
		for (const emoji of ['👍🏽', '👩‍👩‍👧‍👦', '🇫🇷', '1️⃣']) await react(b.socket, emoji);
		for (const bad of ['a', 'lol', '👍👍', ' 👍', '', '<script>', '©', 'x'.repeat(100)]) {
			const error = await fails(b.socket, 'messages:react', { threadId: thread.id, seq: sent.seq, emoji: bad }, 'invalid_input');
			expect(error.fields).toEqual({ emoji: 'emoji must be exactly one emoji (such as 👍 or 🇫🇷), not text' });
		}
		expect((await fails(b.socket, 'messages:react', { threadId: thread.id, seq: sent.seq, emoji: 1 }, 'invalid_input')).fields).toHaveProperty('emoji');
		expect((await fails(b.socket, 'messages:react', { threadId: thread.id, seq: 9999, emoji: '👍' }, 'not_found')).message).toMatch(/message 9999 of thread/);
		const [eve] = await people(t, 1);
		await fails(eve.socket, 'messages:react', { threadId: thread.id, seq: sent.seq, emoji: '👍' }, 'not_found');
		expect((await list(a.socket, thread.id)).messages[0].reactions?.map((r) => r.emoji)).toEqual(['👍', '🍣', '🍺', '👍🏽', '👩‍👩‍👧‍👦', '🇫🇷', '1️⃣']);
	});

	it('reply: the quote is copied when sent and stays when the original is deleted; unknown seqs are refused', async () => {
		const { a, b, thread } = await pair();
		const original = await send(a.socket, thread.id, 'x'.repeat(300));
		const reply = (await ok(b.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'yes', replyToSeq: original.seq })).message as Message;
		expect(reply.replyTo).toEqual({ seq: original.seq, senderId: a.user.id, snippet: 'x'.repeat(119) + '…' });
		await ok(a.socket, 'messages:delete', { threadId: thread.id, seq: original.seq });
		expect((await list(a.socket, thread.id)).messages.find((m) => m.id === reply.id)?.replyTo).toEqual(reply.replyTo);
		expect((await fails(b.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'q', replyToSeq: 77 }, 'not_found')).message).toBe(`message 77 of thread "${thread.id}" not found`);
		expect((await fails(b.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: 'q', replyToSeq: 'one' }, 'invalid_input')).fields).toEqual({ replyToSeq: 'replyToSeq must be a whole number' });
	});

	it('in a group: a reply (stored through the group path), an edit that changes whom it mentions, every member told', async () => {
		const [owner, ann, ben] = await people(t, 3);
		await befriendAll(owner, [ann, ben]);
		const group = await createGroup(owner, [ann, ben], 'Actions');
		const events = [ann, ben].map((p) => watch(p.socket));
		const original = await send(ann.socket, group.id, 'who brings the cake?');
		const reply = (await ok(owner.socket, 'messages:send', { threadId: group.id, clientId: clientId(), text: `@${ann.user.username} I do`, replyToSeq: original.seq })).message as Message;
		expect(reply.replyTo).toEqual({ seq: original.seq, senderId: ann.user.id, snippet: 'who brings the cake?' });
		const mentionsOf = async (p: Person) => (await ok<{ thread: Thread }>(p.socket, 'threads:get', { threadId: group.id })).thread.mentions;
		expect([await mentionsOf(ann), await mentionsOf(ben)]).toEqual([1, 0]);
		const { message } = await ok<{ message: Message }>(owner.socket, 'messages:edit', { threadId: group.id, seq: reply.seq, text: `@${ben.user.username} I do` });
		expect(message.replyTo).toEqual(reply.replyTo);
		for (const e of events) expect((await e.next('message:changed', (p) => p.message.id === reply.id)).message).toEqual(message);
		expect([await mentionsOf(ann), await mentionsOf(ben)]).toEqual([0, 1]);
	});

	it('the change feed: a device offline during an edit, a delete and reactions catches up with messages:changes', async () => {
		const { a, b, thread } = await pair();
		const m = [];
		for (let i = 0; i < 4; i++) m.push(await send(a.socket, thread.id, `m${i}`));
		// Bob's second device holds the thread as of now, then goes offline.
		const b2 = await device(t, b);
		const held = await list(b2, thread.id);
		expect(held.lastChangeSeq).toBe(0);
		b2.disconnect();
		const live = watch(b.socket);
		await ok(a.socket, 'messages:edit', { threadId: thread.id, seq: m[0].seq, text: 'm0 edited' });
		await ok(b.socket, 'messages:react', { threadId: thread.id, seq: m[1].seq, emoji: '🎉' });
		await ok(a.socket, 'messages:delete', { threadId: thread.id, seq: m[2].seq });
		await ok(a.socket, 'messages:react', { threadId: thread.id, seq: m[1].seq, emoji: '🎉' });
		await ok(a.socket, 'messages:edit', { threadId: thread.id, seq: m[0].seq, text: 'm0 edited twice' });
		// Online devices got every change once, numbered 1..5 in order.
		expect((await live.count('message:changed', 5)).map((p) => p.message.changeSeq)).toEqual([1, 2, 3, 4, 5]);
		// Back online: threads:list says there is more; the feed gives each changed message's state now.
		const again = await device(t, b);
		const { threads } = await ok<{ threads: Thread[] }>(again, 'threads:list', {});
		expect(threads.find((x) => x.id === thread.id)?.lastChangeSeq).toBe(5);
		const feed = await ok<MessagesChangesResponse>(again, 'messages:changes', { threadId: thread.id, afterChangeSeq: held.lastChangeSeq });
		expect(feed.hasMore).toBe(false);
		expect(feed.lastChangeSeq).toBe(5);
		expect(feed.messages.map((x) => [x.seq, x.changeSeq])).toEqual([[m[2].seq, 3], [m[1].seq, 4], [m[0].seq, 5]]);
		expect(feed.messages[2]).toMatchObject({ text: 'm0 edited twice', editedAt: expect.any(String) });
		expect(feed.messages[1].reactions).toEqual([{ emoji: '🎉', count: 2, userIds: [b.user.id, a.user.id] }]);
		expect(feed.messages[0]).toMatchObject({ deleted: true });
		// Paged: one at a time, in change order.
		const first = await ok<MessagesChangesResponse>(again, 'messages:changes', { threadId: thread.id, afterChangeSeq: 0, limit: 1 });
		expect([first.messages[0].changeSeq, first.hasMore]).toEqual([3, true]);
		expect((await ok<MessagesChangesResponse>(again, 'messages:changes', { threadId: thread.id, afterChangeSeq: 5 })).messages).toEqual([]);
		// Errors: a non-member, a negative number, an unknown field.
		const [eve] = await people(t, 1);
		await fails(eve.socket, 'messages:changes', { threadId: thread.id, afterChangeSeq: 0 }, 'not_found');
		expect((await fails(again, 'messages:changes', { threadId: thread.id, afterChangeSeq: -1 }, 'invalid_input')).fields).toEqual({ afterChangeSeq: 'afterChangeSeq must not be negative' });
		again.disconnect();
	});
});
