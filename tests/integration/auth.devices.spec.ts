import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRONG_CURRENT_PASSWORD, type SessionInfo } from '../../src/lib/protocol/index.js';
import { expectConnectRefused, expectError, expectRateLimited, isServed, recordSocket } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const NEW_PASSWORD = 'a brand new passphrase';

// docs/PROTOCOL.md, "Sessions and devices": GET /api/sessions, DELETE /api/sessions/:id,
// POST /api/sessions/end-others, POST /api/auth/password.
describe.concurrent.each(backendNames())('sessions and devices on %s', (backend) => {
	let t: TestParley;
	const login = async (username: string, password: string, userAgent?: string) => {
		const res = await t.request('POST', '/api/auth/login', { body: { login: username, password }, headers: userAgent ? { 'user-agent': userAgent } : {} });
		expect(res.status).toBe(200);
		return res.body as { token: string; chat: { url: string; ticket: string }; user: { id: string } };
	};
	const list = async (token: string): Promise<SessionInfo[]> => {
		const res = await t.request('GET', '/api/sessions', { token });
		expect(res.status).toBe(200);
		return res.body.sessions;
	};
	const sessionIds = async (userId: string) =>
		(await t.parley.db.db.selectFrom('sessions').select('id').where('user_id', '=', userId).orderBy('id').execute()).map((r) => r.id);
	const lastSeen = async (sessionId: string) =>
		(await t.parley.db.db.selectFrom('sessions').select('last_seen_at').where('id', '=', sessionId).executeTakeFirstOrThrow()).last_seen_at;
	const setLastSeen = (sessionId: string, value: string) => t.parley.db.db.updateTable('sessions').set({ last_seen_at: value }).where('id', '=', sessionId).execute();
	const passwordHash = async (userId: string) => (await t.parley.db.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()).password_hash;

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 1000, loginFailuresPerAccountAndIp: 3 } } });
		// The chat node's once-a-minute sweep would write last seen whenever its timer fires (on a slow
		// run, inside a test that asserts a socket's requests write nothing): here it runs only when a
		// test calls sweep().
		t.parley.chat!.connectedSeen!.stop();
	});
	afterAll(async () => t?.stop());

	describe('GET /api/sessions', () => {
		it('lists the live sessions: browser, OS, ip, times, this one first and marked current', async () => {
			const me = await t.signUp();
			const firefox = await login(me.user.username, me.password, FIREFOX);
			const phone = await login(me.user.username, me.password, SAFARI_IPHONE);
			// An expired session is not listed.
			const expired = await login(me.user.username, me.password);
			const ids = await sessionIds(me.user.id);
			const expiredId = ids[ids.length - 1];
			await t.parley.db.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', expiredId).execute();
			expectError(await t.request('GET', '/api/sessions', { token: expired.token }), 401, 'unauthorized');
			// The phone was used more recently than the sign-up's session.
			await t.request('GET', '/api/me', { token: phone.token });

			const sessions = await list(firefox.token);
			expect(sessions).toHaveLength(3);
			expect(sessions[0]).toMatchObject({ browser: 'Firefox 133', os: 'Windows', ip: expect.any(String), current: true });
			expect(sessions[1]).toMatchObject({ browser: 'Safari 18', os: 'iOS', current: false });
			expect(sessions[2]).toMatchObject({ current: false });
			for (const s of sessions) {
				expect(Object.keys(s).sort()).toEqual(['browser', 'createdAt', 'current', 'id', 'ip', 'lastSeenAt', 'os']);
				expect(s.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
				expect(s.lastSeenAt >= s.createdAt).toBe(true);
			}
			expect(sessions.map((s) => s.id)).not.toContain(expiredId);
			expect((await list(phone.token)).filter((s) => s.current).map((s) => s.browser)).toEqual(['Safari 18']);
		});

		it('lists only your own sessions', async () => {
			const a = await t.signUp();
			const b = await t.signUp();
			const ids = (await list(a.token)).map((s) => s.id);
			expect(ids).toEqual(await sessionIds(a.user.id));
			for (const id of await sessionIds(b.user.id)) expect(ids).not.toContain(id);
		});

		it('401 without a session', async () => {
			expectError(await t.request('GET', '/api/sessions'), 401, 'unauthorized');
		});
	});

	describe('last seen', () => {
		it('an authenticated request older than a minute moves it; within the minute nothing is written', async () => {
			const me = await t.signUp();
			const [id] = await sessionIds(me.user.id);
			const old = new Date(Date.now() - 120_000).toISOString();
			await setLastSeen(id, old);
			expect((await t.request('GET', '/api/me', { token: me.token })).status).toBe(200);
			const moved = await lastSeen(id);
			expect(moved! > old).toBe(true);
			const recent = new Date(Date.now() - 30_000).toISOString();
			await setLastSeen(id, recent);
			expect((await t.request('GET', '/api/me', { token: me.token })).status).toBe(200);
			expect(await lastSeen(id)).toBe(recent);
		});

		it("the socket handshake moves it; the socket's requests never write it", async () => {
			const me = await t.signUp();
			const [id] = await sessionIds(me.user.id);
			const old = new Date(Date.now() - 120_000).toISOString();
			await setLastSeen(id, old);
			const socket = await t.connectSocket(me.chat.ticket);
			expect((await lastSeen(id))! > old).toBe(true);
			await setLastSeen(id, old);
			for (let i = 0; i < 3; i++) expect(await isServed(socket, me.user.id)).toBe(true);
			expect(await lastSeen(id)).toBe(old);
			socket.disconnect();
		});

		it("a connected device's last seen is kept fresh by the chat node's sweep, once a minute at most; a device without a socket is left alone", async () => {
			const me = await t.signUp();
			// A second session that never connects.
			expect((await t.request('POST', '/api/auth/login', { body: { login: me.user.username, password: me.password } })).status).toBe(200);
			const socket = await t.connectSocket(me.chat.ticket);
			const ids = await sessionIds(me.user.id);
			expect(ids).toHaveLength(2);
			const old = new Date(Date.now() - 10 * 60_000).toISOString();
			for (const id of ids) await setLastSeen(id, old);
			await t.parley.chat!.connectedSeen!.sweep();
			const after = await Promise.all(ids.map(lastSeen));
			// Only the session with a socket moved.
			expect(after.filter((v) => v! > old)).toHaveLength(1);
			expect(after.filter((v) => v === old)).toHaveLength(1);
			const moved = ids[after.findIndex((v) => v! > old)];
			const recent = new Date(Date.now() - 30_000).toISOString();
			await setLastSeen(moved, recent);
			await t.parley.chat!.connectedSeen!.sweep();
			expect(await lastSeen(moved)).toBe(recent);
			socket.disconnect();
		});
	});

	describe('DELETE /api/sessions/:id', () => {
		it("204: that session ends, its sockets get session:ended 'revoked'; the asking one and others stay", async () => {
			const me = await t.signUp();
			const laptop = await login(me.user.username, me.password, FIREFOX);
			const phone = await login(me.user.username, me.password, SAFARI_IPHONE);
			const [mine, laptopSocket, phoneSocket] = await Promise.all([t.connectSocket(me.chat.ticket), t.connectSocket(laptop.chat.ticket), t.connectSocket(phone.chat.ticket)]);
			const [mineLog, laptopLog, phoneLog] = [mine, laptopSocket, phoneSocket].map(recordSocket);
			const laptopId = (await list(me.token)).find((s) => s.browser === 'Firefox 133')!.id;

			const res = await t.request('DELETE', `/api/sessions/${laptopId}`, { token: me.token });
			expect(res.status).toBe(204);
			expect(res.headers.get('set-cookie')).toBeNull();
			await laptopLog.disconnected;
			expect(laptopLog.events).toEqual([
				['session:ended', { reason: 'revoked' }],
				['disconnect', 'io server disconnect']
			]);
			expectError(await t.request('GET', '/api/me', { token: laptop.token }), 401, 'unauthorized');
			expect(await isServed(mine, me.user.id)).toBe(true);
			expect(await isServed(phoneSocket, me.user.id)).toBe(true);
			expect(mineLog.events).toEqual([]);
			expect(phoneLog.events).toEqual([]);
			expect((await list(me.token)).map((s) => s.id)).not.toContain(laptopId);
			// Twice: it is gone.
			expectError(await t.request('DELETE', `/api/sessions/${laptopId}`, { token: me.token }), 404, 'not_found');
		});

		it("another user's session and an unknown id answer the same 404, and end nothing", async () => {
			const me = await t.signUp();
			const stranger = await t.signUp();
			const [strangerId] = await sessionIds(stranger.user.id);
			const strangerSocket = await t.connectSocket(stranger.chat.ticket);
			const strangerLog = recordSocket(strangerSocket);
			const theirs = expectError(await t.request('DELETE', `/api/sessions/${strangerId}`, { token: me.token }), 404, 'not_found');
			const unknown = expectError(await t.request('DELETE', `/api/sessions/${'0'.repeat(20)}`, { token: me.token }), 404, 'not_found');
			const odd = expectError(await t.request('DELETE', `/api/sessions/${encodeURIComponent("x' OR 1=1 --\0")}`, { token: me.token }), 404, 'not_found');
			expect(theirs).toEqual(unknown);
			expect(odd).toEqual(unknown);
			expect(await sessionIds(stranger.user.id)).toEqual([strangerId]);
			expect((await t.request('GET', '/api/me', { token: stranger.token })).status).toBe(200);
			expect(await isServed(strangerSocket, stranger.user.id)).toBe(true);
			expect(strangerLog.events).toEqual([]);
			strangerSocket.disconnect();
		});

		it('its own id signs this device out like logout: cookie cleared, sockets told "logout"', async () => {
			const me = await t.signUp();
			const socket = await t.connectSocket(me.chat.ticket);
			const log = recordSocket(socket);
			const current = (await list(me.token)).find((s) => s.current)!;
			const res = await t.request('DELETE', `/api/sessions/${current.id}`, { token: me.token });
			expect(res.status).toBe(204);
			expect(res.headers.get('set-cookie')).toContain('Max-Age=0');
			await log.disconnected;
			expect(log.events[0]).toEqual(['session:ended', { reason: 'logout' }]);
			expectError(await t.request('GET', '/api/me', { token: me.token }), 401, 'unauthorized');
		});

		it('401 without a session, and a stale ticket of an ended session no longer connects', async () => {
			expectError(await t.request('DELETE', `/api/sessions/${'0'.repeat(20)}`), 401, 'unauthorized');
			const me = await t.signUp();
			const other = await login(me.user.username, me.password);
			const otherId = (await list(me.token)).find((s) => !s.current)!.id;
			expect((await t.request('DELETE', `/api/sessions/${otherId}`, { token: me.token })).status).toBe(204);
			await expectConnectRefused(t, other.chat.ticket);
		});
	});

	describe('POST /api/sessions/end-others', () => {
		it("200 {ended}: every other session ends with session:ended 'revoked'; this one stays", async () => {
			const me = await t.signUp();
			const others = [await login(me.user.username, me.password, FIREFOX), await login(me.user.username, me.password, SAFARI_IPHONE)];
			const bystander = await t.signUp();
			const sockets = await Promise.all([t.connectSocket(me.chat.ticket), ...others.map((o) => t.connectSocket(o.chat.ticket)), t.connectSocket(bystander.chat.ticket)]);
			const logs = sockets.map(recordSocket);

			const res = await t.request('POST', '/api/sessions/end-others', { token: me.token });
			expect(res.status).toBe(200);
			expect(res.body).toEqual({ ended: 2 });
			await Promise.all([logs[1].disconnected, logs[2].disconnected]);
			for (const log of [logs[1], logs[2]]) {
				expect(log.events).toEqual([
					['session:ended', { reason: 'revoked' }],
					['disconnect', 'io server disconnect']
				]);
			}
			for (const o of others) expectError(await t.request('GET', '/api/me', { token: o.token }), 401, 'unauthorized');
			expect(await isServed(sockets[0], me.user.id)).toBe(true);
			expect(await isServed(sockets[3], bystander.user.id)).toBe(true);
			expect([logs[0].events, logs[3].events]).toEqual([[], []]);
			expect((await list(me.token)).map((s) => s.current)).toEqual([true]);
			// Nothing left to end.
			expect((await t.request('POST', '/api/sessions/end-others', { token: me.token })).body).toEqual({ ended: 0 });
			for (const s of sockets) s.disconnect();
		});

		it('401 without a session', async () => {
			expectError(await t.request('POST', '/api/sessions/end-others'), 401, 'unauthorized');
		});
	});

	describe('POST /api/auth/password', () => {
		it("200 {ended}: the new password works, the old one not; other sessions end with 'password_changed', this one stays", async () => {
			const me = await t.signUp();
			const other = await login(me.user.username, me.password, FIREFOX);
			const [mine, theirs] = await Promise.all([t.connectSocket(me.chat.ticket), t.connectSocket(other.chat.ticket)]);
			const [mineLog, theirsLog] = [mine, theirs].map(recordSocket);

			const res = await t.request('POST', '/api/auth/password', { token: me.token, body: { currentPassword: me.password, newPassword: NEW_PASSWORD } });
			expect(res.status).toBe(200);
			expect(res.body).toEqual({ ended: 1 });
			await theirsLog.disconnected;
			expect(theirsLog.events).toEqual([
				['session:ended', { reason: 'password_changed' }],
				['disconnect', 'io server disconnect']
			]);
			expectError(await t.request('GET', '/api/me', { token: other.token }), 401, 'unauthorized');
			expect((await t.request('GET', '/api/me', { token: me.token })).status).toBe(200);
			expect(await isServed(mine, me.user.id)).toBe(true);
			expect(mineLog.events).toEqual([]);
			expectError(await t.request('POST', '/api/auth/login', { body: { login: me.user.username, password: me.password } }), 401, 'unauthorized');
			await login(me.user.username, NEW_PASSWORD);
			mine.disconnect();
		});

		it('a wrong current password: 400 on fields.currentPassword, nothing changes, no session ends', async () => {
			const me = await t.signUp();
			const other = await login(me.user.username, me.password);
			const before = await passwordHash(me.user.id);
			const error = expectError(
				await t.request('POST', '/api/auth/password', { token: me.token, body: { currentPassword: 'not my password', newPassword: NEW_PASSWORD } }),
				400,
				'invalid_input',
				{ fields: ['currentPassword'] }
			);
			expect(error.fields).toEqual({ currentPassword: WRONG_CURRENT_PASSWORD });
			expect(await passwordHash(me.user.id)).toBe(before);
			expect((await t.request('GET', '/api/me', { token: other.token })).status).toBe(200);
			await login(me.user.username, me.password);
		});

		it('wrong current passwords are rate limited like sign-in; the right one is refused too until the window ends', async () => {
			const me = await t.signUp();
			const other = await login(me.user.username, me.password);
			const before = await passwordHash(me.user.id);
			const attempt = (token: string, currentPassword: string) => t.request('POST', '/api/auth/password', { token, body: { currentPassword, newPassword: NEW_PASSWORD } });
			for (let i = 0; i < 3; i++) expectError(await attempt(me.token, `wrong ${i}`), 400, 'invalid_input');
			expectRateLimited(await attempt(me.token, 'wrong again'), 900);
			expectRateLimited(await attempt(me.token, me.password), 900);
			expect(await passwordHash(me.user.id)).toBe(before);
			// Counted per session: the owner's other session still can.
			expect((await attempt(other.token, me.password)).status).toBe(200);
		});

		it('a weak new password gets the same checks as register, and changes nothing', async () => {
			const me = await t.signUp();
			const other = await login(me.user.username, me.password);
			const before = await passwordHash(me.user.id);
			const cases: Array<[string, RegExp]> = [
				['short', /at least 8/],
				['password123', /most common/],
				[me.user.username, /your username/],
				[me.user.email!.toUpperCase(), /your email/],
				[me.password, /your current password/]
			];
			for (const [newPassword, message] of cases) {
				const error = expectError(await t.request('POST', '/api/auth/password', { token: me.token, body: { currentPassword: me.password, newPassword } }), 400, 'invalid_input', { fields: ['newPassword'] });
				expect(error.fields!.newPassword).toMatch(message);
			}
			expect(await passwordHash(me.user.id)).toBe(before);
			expect((await t.request('GET', '/api/me', { token: other.token })).status).toBe(200);
		});

		it('bad bodies: 400 invalid_input; no session: 401', async () => {
			const me = await t.signUp();
			for (const body of [{}, { currentPassword: me.password }, { newPassword: NEW_PASSWORD }, { currentPassword: 1, newPassword: NEW_PASSWORD }, { currentPassword: me.password, newPassword: NEW_PASSWORD, extra: 1 }]) {
				expectError(await t.request('POST', '/api/auth/password', { token: me.token, body }), 400, 'invalid_input');
			}
			expectError(await t.request('POST', '/api/auth/password', { body: { currentPassword: me.password, newPassword: NEW_PASSWORD } }), 401, 'unauthorized');
			await login(me.user.username, me.password);
		});
	});
});
