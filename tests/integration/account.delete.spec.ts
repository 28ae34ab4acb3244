import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_DELETED, DELETED_USER_NAME, type FriendsListResponse, type Message, type Thread, type UserCard } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, Events, fails, ok, people, person, send } from '../helpers/chat.js';
import { filesUnder, upload, uploadAvatar } from '../helpers/files.js';
import { befriendAll, createGroup, getThread, history, roles } from '../helpers/groups.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md "Deleting the account": DELETE /api/me {password}.

describe.each(backendNames())('deleting the account on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000, loginFailuresPerAccountAndIp: 3 }, codes: { resendMs: 0 } } });
	});
	afterAll(async () => t?.stop());

	const remove = (who: { token: string }, body: unknown) => t.request('DELETE', '/api/me', { token: who.token, body });
	const counts = async (userId: string) => {
		const db = t.parley.db.db;
		const n = async (table: 'sessions' | 'friendships' | 'files' | 'thread_members', column: 'user_id' | 'owner_id') =>
			Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where(column as never, '=', userId as never).executeTakeFirstOrThrow()).n);
		return { sessions: await n('sessions', 'user_id'), friendships: await n('friendships', 'user_id'), files: await n('files', 'owner_id'), members: await n('thread_members', 'user_id') };
	};

	it('a wrong password changes nothing, and is rate limited like a sign-in', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		await send(a.socket, thread.id, 'hello');
		const before = await counts(a.user.id);
		const wrong = await remove(a, { password: 'not my password at all' });
		expect(wrong.status).toBe(403);
		expect(wrong.body.error).toMatchObject({ code: 'forbidden', fields: { password: 'wrong password' } });
		expect((await remove(a, {})).body.error).toMatchObject({ code: 'invalid_input', fields: { password: expect.any(String) } });
		expect((await remove(a, { password: '' })).body.error).toMatchObject({ code: 'invalid_input', fields: { password: 'enter your password' } });
		expect((await remove(a, { password: 'x', extra: 1 })).status).toBe(400);
		expect((await t.request('DELETE', '/api/me', { body: { password: a.password } })).status).toBe(401);
		expect(await counts(a.user.id)).toEqual(before);
		expect((await t.request('GET', '/api/me', { token: a.token })).status).toBe(200);
		expect((await ok<FriendsListResponse>(b.socket, 'friends:list')).friends.map((f) => f.user.id)).toEqual([a.user.id]);
		// Three wrong ones in all (the test's limit), then even the right password waits.
		await remove(a, { password: 'wrong again' });
		await remove(a, { password: 'and again' });
		expect((await remove(a, { password: a.password })).status).toBe(429);
		expect((await t.request('GET', '/api/me', { token: a.token })).status).toBe(200);
	});

	it('frees username and email, ends every session with account_deleted, and the friend keeps a read-only "Deleted user" thread', async () => {
		const a = await person(t);
		const b = await person(t);
		const c = await person(t);
		const thread = await befriend(a, b);
		await send(a.socket, thread.id, 'from a');
		await send(b.socket, thread.id, 'from b');
		// A second device of a's, and a pending request from a to c.
		const other = await t.request('POST', '/api/auth/login', { body: { login: a.user.username, password: a.password } });
		const otherSocket = await t.connectSocket(other.body.chat.ticket);
		const { request } = await ok(a.socket, 'friends:request', { userId: c.user.id });
		const ended = [new Events(a.socket, ['session:ended']), new Events(otherSocket, ['session:ended'])];
		const eb = new Events(b.socket, ['friends:removed', 'user:updated', 'thread:updated']);
		const ec = new Events(c.socket, ['friends:closed']);

		const res = await remove(a, { password: a.password });
		expect(res.status).toBe(204);
		expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/i);
		for (const e of ended) expect(await e.next('session:ended')).toEqual({ reason: 'account_deleted' });
		expect((await t.request('GET', '/api/me', { token: a.token })).status).toBe(401);
		expect((await t.request('GET', '/api/me', { token: other.body.token })).status).toBe(401);
		expect((await t.request('POST', '/api/auth/login', { body: { login: a.user.username, password: a.password } })).status).toBe(401);
		expect((await t.request('POST', '/api/auth/login', { body: { login: a.user.email, password: a.password } })).status).toBe(401);

		expect(await eb.next('friends:removed')).toEqual({ userId: a.user.id });
		expect((await eb.next('user:updated')).user).toMatchObject({ id: a.user.id, displayName: DELETED_USER_NAME, avatarUrl: null, deleted: true });
		expect((await eb.next('thread:updated')).thread.peer).toMatchObject({ id: a.user.id, displayName: DELETED_USER_NAME, deleted: true });
		expect(await ec.next('friends:closed')).toEqual({ requestId: request.id, status: 'cancelled' });
		expect((await ok<FriendsListResponse>(b.socket, 'friends:list')).friends).toEqual([]);
		expect((await ok<FriendsListResponse>(c.socket, 'friends:list')).incoming).toEqual([]);

		// The friend still reads the thread; the messages keep their sender, shown as the deleted user.
		const seen = await ok<{ thread: Thread }>(b.socket, 'threads:get', { threadId: thread.id });
		expect(seen.thread.peer).toMatchObject({ id: a.user.id, username: 'deleted', displayName: DELETED_USER_NAME, bio: '', avatarUrl: null, deleted: true });
		expect((await history(b.socket, thread.id)).map((m) => [m.senderId, m.text])).toEqual([
			[a.user.id, 'from a'],
			[b.user.id, 'from b']
		]);
		const refused = await fails(b.socket, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'hello?' }, 'forbidden');
		expect(refused.message).toBe(ACCOUNT_DELETED);
		// Nobody finds it, nobody can ask it to be friends.
		expect((await ok<{ users: UserCard[] }>(b.socket, 'users:search', { query: 'deleted' })).users.map((u) => u.id)).not.toContain(a.user.id);
		expect((await ok<{ users: UserCard[] }>(b.socket, 'users:search', { query: a.user.username })).users).toEqual([]);
		await fails(c.socket, 'friends:request', { userId: a.user.id }, 'not_found');

		// The same username and email register again: a new account, a new id, no friends.
		const again = await t.signUp({ username: a.user.username, email: a.user.email });
		expect(again.user.id).not.toBe(a.user.id);
		expect(again.user).toMatchObject({ username: a.user.username, email: a.user.email });
		const fresh = await t.connectSocket(again.chat.ticket);
		expect(await ok<FriendsListResponse>(fresh, 'friends:list')).toMatchObject({ friends: [], incoming: [], outgoing: [] });
		// A second deletion of the gone account: its session no longer exists.
		expect((await remove(a, { password: a.password })).status).toBe(401);
	});

	it("removes the account's files and picture from disk; messages that carried them show the file deleted", async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#36c' } }).png().toBuffer();
		await uploadAvatar(t, a.token, png);
		const { fileId } = await upload(t, a.token, Buffer.from('the plan, in full'), { filename: 'plan.txt', threadId: thread.id });
		const carried = (await history(b.socket, thread.id)).find((m) => m.file?.id === fileId);
		expect(carried).toBeDefined();
		// Unfinished: created, no byte sent.
		const pending = await t.request('POST', '/files/', { token: a.token, headers: { 'tus-resumable': '1.0.0', 'upload-length': '100', 'upload-metadata': `filename ${Buffer.from('x.bin').toString('base64')}` } });
		expect(pending.status).toBe(201);
		const dir = t.parley.config.uploadDir;
		const mine = () => filesUnder(dir).filter((p) => p.includes(a.user.id) || p.includes(fileId));
		const avatars = () => filesUnder(path.join(dir, 'avatars'));
		expect(mine().length).toBeGreaterThan(0);
		const pictures = avatars().length;
		expect(pictures).toBeGreaterThan(0);

		const eb = new Events(b.socket, ['file:deleted']);
		expect((await remove(a, { password: a.password })).status).toBe(204);
		expect(await eb.next('file:deleted')).toEqual({ fileId, threadId: thread.id });
		expect(mine()).toEqual([]);
		expect(avatars()).toHaveLength(pictures - 1);
		expect(await counts(a.user.id)).toMatchObject({ files: 0, sessions: 0, friendships: 0 });
		const shown = (await history(b.socket, thread.id)).find((m: Message) => m.id === carried!.id);
		expect(shown?.file).toEqual({ id: fileId, deleted: true });
	});

	it('leaves every group: ownership passes to the earliest admin or member, a group left empty is closed', async () => {
		const [owner, m1, m2] = await people(t, 3);
		await befriendAll(owner, [m1, m2]);
		const group = await createGroup(owner, [m1, m2], 'Hikers');
		const alone = await createGroup(owner, [m1], 'Pair');
		await ok(m1.socket, 'groups:leave', { threadId: alone.id });
		// An admin comes before members, whoever joined first.
		await ok(owner.socket, 'groups:role', { threadId: group.id, userId: m2.user.id, role: 'admin' });
		await send(owner.socket, group.id, 'see you all');
		const e1 = new Events(m1.socket, ['message:new', 'thread:updated']);

		expect((await remove(owner, { password: owner.password })).status).toBe(204);
		const lines = await e1.count('message:new', 2, (e) => e.message.kind === 'system');
		expect(lines.map((l) => l.message.system?.type)).toEqual(['left', 'role']);
		expect(lines[0].message.system).toEqual({ type: 'left', actor: { id: owner.user.id, name: DELETED_USER_NAME } });
		const seen = await getThread(m1.socket, group.id);
		expect(roles(seen)).toEqual({ [m1.user.id]: 'member', [m2.user.id]: 'owner' });
		expect(seen.memberCount).toBe(2);
		const said = (await history(m2.socket, group.id)).find((m) => m.text === 'see you all');
		expect(said?.senderId).toBe(owner.user.id);
		const card = (await ok<{ users: UserCard[] }>(m2.socket, 'users:get', { userIds: [owner.user.id] })).users[0];
		expect(card).toMatchObject({ displayName: DELETED_USER_NAME, deleted: true, avatarUrl: null });
		// In no group any more; its two private threads keep it (their friends still read them).
		const memberships = await t.parley.db.db.selectFrom('thread_members').innerJoin('threads', 'threads.id', 'thread_members.thread_id').select('threads.kind').where('user_id', '=', owner.user.id).execute();
		expect(memberships.map((m) => m.kind)).toEqual(['private', 'private']);
		const closed = await t.parley.db.db.selectFrom('threads').select('closed_at').where('id', '=', alone.id).executeTakeFirstOrThrow();
		expect(closed.closed_at).not.toBeNull();
	});
});

