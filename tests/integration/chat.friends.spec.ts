import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Friend, FriendRequest, FriendsListResponse, Thread, UserCard } from '../../src/lib/protocol/index.js';
import { expectError } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, device, Events, fails, ok, people, person, type Person } from '../helpers/chat.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

// PROTOCOL.md 2: users:search, users:get, friends:request, friends:respond, friends:cancel, friends:list,
// the friends:requested / friends:added / friends:closed / presence events, and PATCH /api/me.
describe.each(backendNames())('friends on %s', (backend) => {
	let t: TestParley;
	/** For requests that fail validation, which touch nobody. */
	let v: Person;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
		v = await person(t);
	});
	afterAll(async () => t?.stop());

	describe('users:search', () => {
		let me: Person;
		let prefix: string;
		let names: string[];
		beforeAll(async () => {
			// Usernames share a prefix no other test uses; display names are mixed case.
			prefix = uniqueName('srch').toLowerCase().slice(0, 14);
			me = await person(t, { username: `${prefix}me` });
			names = [`${prefix}Carol`, `${prefix}alice`, `${prefix}Bob`];
			await Promise.all(names.map((username, i) => t.signUp({ username, displayName: ['Zed Cee', 'Ann Ay', '100%_sure'][i] })));
		});

		it('finds by username prefix ignoring case, never yourself, ordered by username', async () => {
			const { users } = await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: prefix.toUpperCase() });
			expect(users.map((u) => u.username)).toEqual([`${prefix}alice`, `${prefix}Bob`, `${prefix}Carol`]);
			for (const u of users) {
				expect(Object.keys(u).sort()).toEqual(['avatarUrl', 'bio', 'displayName', 'id', 'relationship', 'username']);
				expect(u.relationship).toBe('none');
				expect(u.online, 'strangers do not see who is online').toBeUndefined();
			}
		});

		it('finds by display-name prefix ignoring case', async () => {
			const { users } = await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: 'zED c' });
			expect(users.map((u) => u.username)).toContain(`${prefix}Carol`);
			expect(users.every((u) => u.displayName.toLowerCase().startsWith('zed c') || u.username.toLowerCase().startsWith('zed c'))).toBe(true);
		});

		it('takes % and _ literally', async () => {
			const exact = await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: '100%_' });
			expect(exact.users.map((u) => u.username)).toContain(`${prefix}Bob`);
			expect((await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: '100%x' })).users).toEqual([]);
			expect((await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: '1_0' })).users).toEqual([]);
			expect((await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: '%' })).users).toEqual([]);
			expect((await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: "' OR 1=1 --" })).users).toEqual([]);
		});

		it('honours limit', async () => {
			const { users } = await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: prefix, limit: 2 });
			expect(users.map((u) => u.username)).toEqual([`${prefix}alice`, `${prefix}Bob`]);
		});

		it('shows relationships from your side, and online for friends', async () => {
			const [a, b, c] = await Promise.all([1, 2, 3].map((i) => person(t, { username: `${prefix}x${i}` })));
			await befriend(me, a);
			await ok(me.socket, 'friends:request', { userId: b.user.id });
			await ok(c.socket, 'friends:request', { userId: me.user.id });
			const { users } = await ok<{ users: UserCard[] }>(me.socket, 'users:search', { query: `${prefix}x` });
			const by = Object.fromEntries(users.map((u) => [u.username, u]));
			expect(by[`${prefix}x1`]).toMatchObject({ relationship: 'friend', online: true });
			expect(by[`${prefix}x2`]).toMatchObject({ relationship: 'outgoing' });
			expect(by[`${prefix}x3`]).toMatchObject({ relationship: 'incoming' });
			expect(by[`${prefix}x2`].online).toBeUndefined();
		});

		it.each([
			['an empty query', { query: '' }],
			['a blank query', { query: '   ' }],
			['a query over 64 characters', { query: 'a'.repeat(65) }],
			['no query', {}],
			['a number as query', { query: 5 }],
			['limit 0', { query: 'a', limit: 0 }],
			['limit 101', { query: 'a', limit: 101 }],
			['a fractional limit', { query: 'a', limit: 1.5 }],
			['an unknown field', { query: 'a', userId: 'x' }]
		])('invalid_input for %s', async (_label, payload) => {
			const error = await fails(me.socket, 'users:search', payload, 'invalid_input');
			expect(error.fields).toBeDefined();
		});
	});

	describe('users:get', () => {
		it('gives cards in the order asked, your own with relationship self, unknown ids left out', async () => {
			const [a, b] = await Promise.all([person(t), t.signUp()]);
			const { users } = await ok<{ users: UserCard[] }>(a.socket, 'users:get', { userIds: [b.user.id, 'nobody', a.user.id, b.user.id] });
			expect(users.map((u) => [u.id, u.relationship])).toEqual([
				[b.user.id, 'none'],
				[a.user.id, 'self']
			]);
			expect(users[1]).toMatchObject({ online: true, bio: '' });
			await fails(a.socket, 'users:get', { userIds: [] }, 'invalid_input');
			await fails(a.socket, 'users:get', { userIds: 'x' }, 'invalid_input');
		});
	});

	describe('friends:request', () => {
		it('acks {request}; the addressee and the sender\'s other devices get friends:requested', async () => {
			const [a, b] = await Promise.all([person(t, { displayName: 'Asker' }), person(t)]);
			const a2 = await device(t, a);
			const bEvents = new Events(b.socket);
			const a2Events = new Events(a2);
			const { request } = await ok<{ request: FriendRequest }>(a.socket, 'friends:request', { userId: b.user.id, message: '  hi <b>there</b>  ' });
			expect(request).toMatchObject({ message: 'hi <b>there</b>', status: 'pending' });
			expect(request.from).toMatchObject({ id: a.user.id, relationship: 'self', displayName: 'Asker' });
			expect(request.to).toMatchObject({ id: b.user.id, relationship: 'outgoing' });
			expect(typeof request.createdAt).toBe('string');
			const seen = await bEvents.next('friends:requested');
			expect(seen.request.id).toBe(request.id);
			expect(seen.request.from).toMatchObject({ id: a.user.id, relationship: 'incoming' });
			expect(seen.request.to).toMatchObject({ id: b.user.id, relationship: 'self' });
			expect((await a2Events.next('friends:requested')).request.id).toBe(request.id);
		});

		it('returns the pending request again instead of a second one', async () => {
			const [a, b] = await people(t, 2);
			const first = (await ok(a.socket, 'friends:request', { userId: b.user.id })).request;
			const again = (await ok(a.socket, 'friends:request', { userId: b.user.id, message: 'again' })).request;
			expect(again.id).toBe(first.id);
			const list = await ok<FriendsListResponse>(b.socket, 'friends:list', {});
			expect(list.incoming.map((r) => r.id)).toEqual([first.id]);
		});

		it('accepts when the other person asked first', async () => {
			const [a, b] = await people(t, 2);
			const aEvents = new Events(a.socket);
			const theirs = (await ok(a.socket, 'friends:request', { userId: b.user.id })).request;
			const res = await ok<{ request: FriendRequest; friend: Friend; thread: Thread }>(b.socket, 'friends:request', { userId: a.user.id });
			expect(res.request).toMatchObject({ id: theirs.id, status: 'accepted' });
			expect(res.friend.user).toMatchObject({ id: a.user.id, relationship: 'friend' });
			expect(res.thread.peer?.id).toBe(a.user.id);
			const added = await aEvents.next('friends:added');
			expect(added.friend.user.id).toBe(b.user.id);
			expect(added.thread.id).toBe(res.thread.id);
		});

		it('two people asking each other at once end as friends with one thread', async () => {
			const [a, b] = await people(t, 2);
			const [ra, rb] = await Promise.all([ok(a.socket, 'friends:request', { userId: b.user.id }), ok(b.socket, 'friends:request', { userId: a.user.id })]);
			// One of the two requests won the pair; the other side's ask accepted it.
			expect(ra.request.id).toBe(rb.request.id);
			const la = await ok<FriendsListResponse>(a.socket, 'friends:list', {});
			const lb = await ok<FriendsListResponse>(b.socket, 'friends:list', {});
			expect(la.friends.map((f) => f.user.id)).toEqual([b.user.id]);
			expect(lb.friends.map((f) => f.user.id)).toEqual([a.user.id]);
			expect(la.friends[0].threadId).toBe(lb.friends[0].threadId);
			expect([...la.incoming, ...la.outgoing, ...lb.incoming, ...lb.outgoing]).toEqual([]);
		});

		it('already_friends (409 family) to a friend', async () => {
			const [a, b] = await people(t, 2);
			await befriend(a, b);
			await fails(a.socket, 'friends:request', { userId: b.user.id }, 'already_friends');
			await fails(b.socket, 'friends:request', { userId: a.user.id }, 'already_friends');
		});

		it('invalid_input to yourself, not_found to nobody', async () => {
			const error = await fails(v.socket, 'friends:request', { userId: v.user.id }, 'invalid_input');
			expect(error.fields).toHaveProperty('userId');
			await fails(v.socket, 'friends:request', { userId: 'no-such-user' }, 'not_found');
		});

		it.each([
			['no userId', {}],
			['a userId over 32 characters', { userId: 'x'.repeat(33) }],
			['a message over 200 characters', { userId: 'x', message: 'm'.repeat(201) }],
			['a message with control characters', { userId: 'x', message: 'a\u0000b' }],
			['a numeric userId', { userId: 42 }],
			['an unknown field', { userId: 'x', from: 'y' }]
		])('invalid_input for %s', async (_label, payload) => {
			await fails(v.socket, 'friends:request', payload, 'invalid_input');
		});
	});

	describe('friends:respond', () => {
		it('accept: {friend, thread}; both people\'s devices get friends:added; idempotent', async () => {
			const [a, b] = await Promise.all([person(t, { displayName: 'Alice' }), person(t, { displayName: 'Bob' })]);
			const b2 = await device(t, b);
			const aEvents = new Events(a.socket);
			const b2Events = new Events(b2);
			const { request } = await ok(a.socket, 'friends:request', { userId: b.user.id });
			const res = await ok<{ friend: Friend; thread: Thread }>(b.socket, 'friends:respond', { requestId: request.id, accept: true });
			expect(res.friend).toMatchObject({ user: { id: a.user.id, displayName: 'Alice', relationship: 'friend', online: true }, online: true, threadId: res.thread.id });
			expect(res.thread).toMatchObject({ kind: 'private', lastSeq: 0, lastMessage: null, unread: 0, readSeq: 0, deliveredSeq: 0, peerReadSeq: 0, peerDeliveredSeq: 0 });
			expect(res.thread.peer).toMatchObject({ id: a.user.id, relationship: 'friend' });
			expect(res.thread.members.map((m) => m.id).sort()).toEqual([a.user.id, b.user.id].sort());
			const forA = await aEvents.next('friends:added');
			expect(forA.friend.user).toMatchObject({ id: b.user.id, displayName: 'Bob', relationship: 'friend' });
			expect(forA.thread).toMatchObject({ id: res.thread.id, peer: { id: b.user.id } });
			const forB2 = await b2Events.next('friends:added');
			expect(forB2.friend.user.id).toBe(a.user.id);

			// A resend after a lost ack gets the same answer.
			const again = await ok<{ friend: Friend; thread: Thread }>(b.socket, 'friends:respond', { requestId: request.id, accept: true });
			expect(again.thread.id).toBe(res.thread.id);
			await fails(b.socket, 'friends:respond', { requestId: request.id, accept: false }, 'conflict');

			const la = await ok<FriendsListResponse>(a.socket, 'friends:list', {});
			expect(la.friends).toHaveLength(1);
			expect(la.friends[0]).toMatchObject({ user: { id: b.user.id }, threadId: res.thread.id, online: true });
			expect(typeof la.friends[0].since).toBe('string');
		});

		it('decline: {} and nothing is made; the asker may ask again', async () => {
			const [a, b] = await people(t, 2);
			const aEvents = new Events(a.socket);
			const { request } = await ok(a.socket, 'friends:request', { userId: b.user.id });
			const res = await ok(b.socket, 'friends:respond', { requestId: request.id, accept: false });
			expect(res).toEqual({ ok: true });
			expect(await aEvents.next('friends:closed')).toEqual({ requestId: request.id, status: 'declined' });
			expect(aEvents.all('friends:added')).toEqual([]);
			const la = await ok<FriendsListResponse>(a.socket, 'friends:list', {});
			expect(la).toEqual({ ok: true, friends: [], incoming: [], outgoing: [] });
			await fails(a.socket, 'threads:open', { userId: b.user.id }, 'forbidden');
			expect((await ok(a.socket, 'threads:list', {})).threads).toEqual([]);
			// Declining twice is fine; accepting a declined request is not.
			expect(await ok(b.socket, 'friends:respond', { requestId: request.id, accept: false })).toEqual({ ok: true });
			await fails(b.socket, 'friends:respond', { requestId: request.id, accept: true }, 'conflict');
			const second = (await ok(a.socket, 'friends:request', { userId: b.user.id })).request;
			expect(second.id).not.toBe(request.id);
		});

		it('only the addressee answers: a third person gets not_found, the asker forbidden', async () => {
			const [a, b, c] = await people(t, 3);
			const { request } = await ok(a.socket, 'friends:request', { userId: b.user.id });
			await fails(c.socket, 'friends:respond', { requestId: request.id, accept: true }, 'not_found');
			await fails(c.socket, 'friends:respond', { requestId: request.id, accept: false }, 'not_found');
			await fails(a.socket, 'friends:respond', { requestId: request.id, accept: true }, 'forbidden');
			await fails(c.socket, 'friends:cancel', { requestId: request.id }, 'not_found');
			const lb = await ok<FriendsListResponse>(b.socket, 'friends:list', {});
			expect(lb.incoming.map((r) => r.id)).toEqual([request.id]);
			expect(lb.friends).toEqual([]);
		});

		it.each([
			['no accept', { requestId: 'x' }],
			['accept as a string', { requestId: 'x', accept: 'yes' }],
			['no requestId', { accept: true }],
			['an unknown field', { requestId: 'x', accept: true, userId: 'y' }]
		])('invalid_input for %s', async (_label, payload) => {
			await fails(v.socket, 'friends:respond', payload, 'invalid_input');
		});

		it('not_found for an unknown request', async () => {
			await fails(v.socket, 'friends:respond', { requestId: 'nope', accept: true }, 'not_found');
		});
	});

	describe('friends:cancel (extension)', () => {
		it('the sender withdraws; both get friends:closed; it can no longer be accepted', async () => {
			const [a, b] = await people(t, 2);
			const bEvents = new Events(b.socket);
			const { request } = await ok(a.socket, 'friends:request', { userId: b.user.id });
			await fails(b.socket, 'friends:cancel', { requestId: request.id }, 'forbidden');
			expect(await ok(a.socket, 'friends:cancel', { requestId: request.id })).toEqual({ ok: true });
			expect(await bEvents.next('friends:closed')).toEqual({ requestId: request.id, status: 'cancelled' });
			await fails(b.socket, 'friends:respond', { requestId: request.id, accept: true }, 'conflict');
			expect(await ok(a.socket, 'friends:cancel', { requestId: request.id })).toEqual({ ok: true });
			expect((await ok<FriendsListResponse>(b.socket, 'friends:list', {})).incoming).toEqual([]);
		});
	});

	describe('friends:list', () => {
		it('{friends, incoming, outgoing} with cards from your side', async () => {
			const [me, f, inc, out] = await people(t, 4);
			await befriend(me, f);
			const incoming = (await ok(inc.socket, 'friends:request', { userId: me.user.id, message: 'hello' })).request;
			const outgoing = (await ok(me.socket, 'friends:request', { userId: out.user.id })).request;
			const list = await ok<FriendsListResponse>(me.socket, 'friends:list', {});
			expect(list.friends.map((x) => x.user.id)).toEqual([f.user.id]);
			expect(list.incoming).toHaveLength(1);
			expect(list.incoming[0]).toMatchObject({ id: incoming.id, message: 'hello', from: { id: inc.user.id, relationship: 'incoming' }, to: { id: me.user.id, relationship: 'self' } });
			expect(list.outgoing).toHaveLength(1);
			expect(list.outgoing[0]).toMatchObject({ id: outgoing.id, from: { relationship: 'self' }, to: { id: out.user.id, relationship: 'outgoing' } });
			// A missing payload counts as {}.
			expect((await ok<FriendsListResponse>(me.socket, 'friends:list')).friends).toHaveLength(1);
			await fails(me.socket, 'friends:list', { extra: 1 }, 'invalid_input');
		});
	});

	describe('presence', () => {
		it('friends see you come online with your first device and go offline with your last; strangers see nothing', async () => {
			const [a, b, stranger] = await people(t, 3);
			await befriend(a, b);
			const aEvents = new Events(a.socket);
			const sEvents = new Events(stranger.socket);
			const b2 = await device(t, b);
			b.socket.disconnect();
			expect(await aEvents.none('presence', (p) => p.userId === b.user.id, 300)).toBe(true);
			b2.disconnect();
			expect(await aEvents.next('presence', (p) => p.userId === b.user.id)).toEqual({ userId: b.user.id, online: false });
			let list = await ok<FriendsListResponse>(a.socket, 'friends:list', {});
			expect(list.friends[0]).toMatchObject({ online: false, user: { online: false } });
			const b3 = await device(t, b);
			expect(await aEvents.next('presence', (p) => p.userId === b.user.id && p.online)).toEqual({ userId: b.user.id, online: true });
			list = await ok<FriendsListResponse>(a.socket, 'friends:list', {});
			expect(list.friends[0].online).toBe(true);
			expect(sEvents.all('presence')).toEqual([]);
			b3.disconnect();
		});
	});

	describe('PATCH /api/me', () => {
		it('200 {user} with bio; friends and your devices get user:updated; search sees the new name', async () => {
			const [a, b] = await people(t, 2);
			await befriend(a, b);
			const bEvents = new Events(b.socket);
			const aEvents = new Events(a.socket);
			const name = `Renamed ${uniqueName('n')}`;
			const bio = '<script>alert(1)</script>\nline two; DROP TABLE users; --';
			const res = await t.request('PATCH', '/api/me', { token: a.token, body: { displayName: `  ${name}  `, bio } });
			expect(res.status).toBe(200);
			expect(res.body).toEqual({ user: { id: a.user.id, username: a.user.username, displayName: name, email: a.user.email, bio, avatarUrl: null } });
			const seen = await bEvents.next('user:updated');
			expect(seen.user).toMatchObject({ id: a.user.id, displayName: name, bio, relationship: 'friend', online: true });
			expect((await aEvents.next('user:updated')).user.relationship).toBe('self');
			const { users } = await ok<{ users: UserCard[] }>(b.socket, 'users:search', { query: name.toUpperCase() });
			expect(users.map((u) => u.id)).toEqual([a.user.id]);
			expect(users[0].bio).toBe(bio);
			// The user's own view carries the bio too.
			expect((await t.request('GET', '/api/me', { token: a.token })).body.user).toMatchObject({ displayName: name, bio });
			// Bio alone; the name stays.
			const again = await t.request('PATCH', '/api/me', { token: a.token, body: { bio: '' } });
			expect(again.body.user).toMatchObject({ displayName: name, bio: '' });
		});

		it.each([
			['nothing to change', {}],
			['a bio over 280 characters', { bio: 'b'.repeat(281) }],
			['an empty display name', { displayName: '   ' }],
			['a display name over 64 characters', { displayName: 'd'.repeat(65) }],
			['control characters in the bio', { bio: 'a\u0007b' }],
			['an unknown field', { bio: 'x', username: 'taken' }],
			['a bio that is not a string', { bio: 5 }]
		])('400 invalid_input for %s', async (_label, body) => {
			expectError(await t.request('PATCH', '/api/me', { token: v.token, body }), 400, 'invalid_input');
		});

		it('401 without a session', async () => {
			expectError(await t.request('PATCH', '/api/me', { body: { bio: 'x' } }), 401, 'unauthorized');
		});
	});
});
