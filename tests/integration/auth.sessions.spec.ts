import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConnectRefused, expectError, isServed, recordSocket } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

// PROTOCOL.md 1: GET /api/me, POST /api/auth/chat-ticket, POST /api/auth/logout; section 2's ticketed
// handshake and `session:ended` as far as the foundation goes.
describe.concurrent.each(backendNames())('sessions on %s', (backend) => {
	let t: TestParley;
	const cookie = (token: string) => ({ cookie: `parley_session=${token}` });
	const login = async (username: string, password: string) => {
		const res = await t.request('POST', '/api/auth/login', { body: { login: username, password } });
		expect(res.status).toBe(200);
		return res.body as { token: string; chat: { url: string; ticket: string }; user: { id: string } };
	};

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 1000 } } });
	});
	afterAll(async () => t?.stop());

	describe('GET /api/me', () => {
		it('200 {user} with a Bearer token, email included', async () => {
			const { user, token } = await t.signUp({ displayName: 'Me Myself' });
			const res = await t.request('GET', '/api/me', { token });
			expect(res.status).toBe(200);
			expect(res.body).toEqual({ user: { id: user.id, username: user.username, displayName: 'Me Myself', email: user.email, bio: '', avatarUrl: null } });
		});

		it('200 {user} with the session cookie alone', async () => {
			const { user, token } = await t.signUp();
			const res = await t.request('GET', '/api/me', { headers: cookie(token) });
			expect(res.status).toBe(200);
			expect(res.body.user.id).toBe(user.id);
		});

		it('takes the cookie when the Authorization header is another scheme (a proxy with Basic auth)', async () => {
			const { user, token } = await t.signUp();
			const res = await t.request('GET', '/api/me', { headers: { authorization: 'Basic dXNlcjpwYXNz', ...cookie(token) } });
			expect(res.status).toBe(200);
			expect(res.body.user.id).toBe(user.id);
			expect((await t.request('POST', '/api/auth/chat-ticket', { headers: { authorization: 'Basic dXNlcjpwYXNz', ...cookie(token) } })).status).toBe(200);
		});

		it('a Bearer token wins over the cookie, even a bad one', async () => {
			const a = await t.signUp();
			const b = await t.signUp();
			expect((await t.request('GET', '/api/me', { token: a.token, headers: cookie(b.token) })).body.user.id).toBe(a.user.id);
			expectError(await t.request('GET', '/api/me', { token: 'bad', headers: cookie(b.token) }), 401, 'unauthorized');
		});

		it('finds the session cookie among other cookies', async () => {
			const { user, token } = await t.signUp();
			const res = await t.request('GET', '/api/me', { headers: { cookie: `theme=dark; parley_session=${token}; other=1` } });
			expect(res.body.user?.id).toBe(user.id);
		});

		it('each token is its own user', async () => {
			const a = await t.signUp();
			const b = await t.signUp();
			expect((await t.request('GET', '/api/me', { token: a.token })).body.user.id).toBe(a.user.id);
			expect((await t.request('GET', '/api/me', { token: b.token })).body.user.id).toBe(b.user.id);
		});

		it.each([
			['no credentials', {}],
			['an unknown token', { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
			['a token that is far too long', { authorization: `Bearer ${'A'.repeat(1000)}` }],
			['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
			['an empty Bearer', { authorization: 'Bearer ' }],
			['an unknown cookie', { cookie: 'parley_session=nope' }],
			['an empty cookie', { cookie: 'parley_session=' }]
		])('401 unauthorized with %s', async (_label, headers) => {
			expectError(await t.request('GET', '/api/me', { headers }), 401, 'unauthorized');
		});

		it('a session past its expiry is refused, by token, by cookie and at the handshake', async () => {
			const { user, token, password } = await t.signUp();
			const other = await login(user.username, password);
			const ticket = (await t.request('POST', '/api/auth/chat-ticket', { token })).body.chat.ticket;
			// A month has passed for this session only (the expiry is compared as an ISO string).
			const past = new Date(Date.now() - 1_000).toISOString();
			const sessions = await t.parley.db.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).orderBy('created_at').execute();
			expect(sessions).toHaveLength(2);
			await t.parley.db.db.updateTable('sessions').set({ expires_at: past }).where('id', '=', sessions[0].id).execute();
			expectError(await t.request('GET', '/api/me', { token }), 401, 'unauthorized');
			expectError(await t.request('GET', '/api/me', { headers: cookie(token) }), 401, 'unauthorized');
			expectError(await t.request('POST', '/api/auth/chat-ticket', { token }), 401, 'unauthorized');
			await expectConnectRefused(t, ticket);
			expect((await t.request('GET', '/api/me', { token: other.token })).status).toBe(200);
		});

		it('a token is stored only as its sha256', async () => {
			const { user, token } = await t.signUp();
			const rows = await t.parley.db.db.selectFrom('sessions').select('token_hash').where('user_id', '=', user.id).execute();
			expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
			expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
		});

		it('a token differing in one character is refused', async () => {
			const { token } = await t.signUp();
			const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
			expectError(await t.request('GET', '/api/me', { token: flipped }), 401, 'unauthorized');
		});
	});

	describe('chat tickets and the handshake', () => {
		it("login's ticket opens a socket for that user at chat.url", async () => {
			const { user, chat } = await t.signUp();
			expect(chat.url).toBe(t.baseUrl);
			const socket = await t.connectSocket(chat.ticket, chat.url);
			expect(await isServed(socket, user.id)).toBe(true);
			socket.disconnect();
		});

		it('POST /api/auth/chat-ticket: 200 {chat: {url, ticket}}, a fresh ticket each time', async () => {
			const { user, token, chat } = await t.signUp();
			const a = await t.request('POST', '/api/auth/chat-ticket', { token });
			const b = await t.request('POST', '/api/auth/chat-ticket', { headers: cookie(token) });
			for (const res of [a, b]) {
				expect(res.status).toBe(200);
				expect(res.body).toEqual({ chat: { url: t.baseUrl, ticket: expect.any(String) } });
			}
			const tickets = new Set([chat.ticket, a.body.chat.ticket, b.body.chat.ticket]);
			expect(tickets.size).toBe(3);
			for (const ticket of [a.body.chat.ticket, b.body.chat.ticket]) {
				const socket = await t.connectSocket(ticket);
				expect(await isServed(socket, user.id)).toBe(true);
				socket.disconnect();
			}
		});

		it('POST /api/auth/chat-ticket without a session: 401', async () => {
			expectError(await t.request('POST', '/api/auth/chat-ticket'), 401, 'unauthorized');
			expectError(await t.request('POST', '/api/auth/chat-ticket', { token: 'nope' }), 401, 'unauthorized');
		});

		it('a ticket works once: the second connect gets connect_error "unauthorized"', async () => {
			const { user, chat } = await t.signUp();
			const first = await t.connectSocket(chat.ticket);
			expect(await isServed(first, user.id)).toBe(true);
			await expectConnectRefused(t, chat.ticket);
			// The refusal did not disturb the first socket.
			expect(await isServed(first, user.id)).toBe(true);
			first.disconnect();
		});

		it('a ticket works once even when two sockets race for it', async () => {
			const { chat } = await t.signUp();
			const results = await Promise.allSettled([t.connectSocket(chat.ticket), t.connectSocket(chat.ticket)]);
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
			const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
			expect(refused.reason.message).toBe('unauthorized');
			for (const r of results) if (r.status === 'fulfilled') r.value.disconnect();
		});

		it.each([
			['a garbage ticket', 'not-a-ticket'],
			['an empty ticket', ''],
			['a very long ticket', 'x'.repeat(5000)],
			['a number', 12345],
			['an object', { ticket: 'x' }],
			['no ticket', undefined]
		])('%s fails the handshake with "unauthorized"', async (_label, ticket) => {
			await expectConnectRefused(t, ticket);
		});

		it('a bearer token is not a ticket', async () => {
			const { token } = await t.signUp();
			await expectConnectRefused(t, token);
		});
	});

	describe('logout', () => {
		it('204 with a cleared cookie; the token is dead afterwards', async () => {
			const { token } = await t.signUp();
			const res = await t.request('POST', '/api/auth/logout', { token });
			expect(res.status).toBe(204);
			expect(res.body).toBeUndefined();
			const cleared = res.headers.get('set-cookie')!;
			expect(cleared).toMatch(/^parley_session=;/);
			expect(cleared).toContain('Max-Age=0');
			expect(cleared).toContain('HttpOnly');
			expectError(await t.request('GET', '/api/me', { token }), 401, 'unauthorized');
			expectError(await t.request('GET', '/api/me', { headers: cookie(token) }), 401, 'unauthorized');
			expectError(await t.request('POST', '/api/auth/chat-ticket', { token }), 401, 'unauthorized');
			expectError(await t.request('POST', '/api/auth/logout', { token }), 401, 'unauthorized');
		});

		it('works with the cookie alone', async () => {
			const { token } = await t.signUp();
			expect((await t.request('POST', '/api/auth/logout', { headers: cookie(token) })).status).toBe(204);
			expectError(await t.request('GET', '/api/me', { token }), 401, 'unauthorized');
		});

		it('401 without a session', async () => {
			expectError(await t.request('POST', '/api/auth/logout'), 401, 'unauthorized');
		});

		it("ends only that session: the user's other sessions stay signed in", async () => {
			const { user, token, password } = await t.signUp();
			const other = await login(user.username, password);
			expect((await t.request('POST', '/api/auth/logout', { token })).status).toBe(204);
			expect((await t.request('GET', '/api/me', { token: other.token })).status).toBe(200);
		});

		it("the session's socket gets session:ended {reason: 'logout'} then is disconnected; another session's socket stays", async () => {
			const { user, token, password, chat } = await t.signUp();
			const other = await login(user.username, password);
			const mine = await t.connectSocket(chat.ticket);
			const second = await t.connectSocket((await t.request('POST', '/api/auth/chat-ticket', { token })).body.chat.ticket);
			const theirs = await t.connectSocket(other.chat.ticket);
			const [mineLog, secondLog, theirsLog] = [recordSocket(mine), recordSocket(second), recordSocket(theirs)];

			expect((await t.request('POST', '/api/auth/logout', { token })).status).toBe(204);
			await Promise.all([mineLog.disconnected, secondLog.disconnected]);
			for (const log of [mineLog, secondLog]) {
				expect(log.events).toEqual([
					['session:ended', { reason: 'logout' }],
					['disconnect', 'io server disconnect']
				]);
			}
			expect(mine.connected).toBe(false);
			// The other session is untouched and still served.
			expect(await isServed(theirs, user.id)).toBe(true);
			expect(theirsLog.events).toEqual([]);
			theirs.disconnect();
		});

		it("another user's socket hears nothing", async () => {
			const a = await t.signUp();
			const b = await t.signUp();
			const bSocket = await t.connectSocket(b.chat.ticket);
			const bLog = recordSocket(bSocket);
			const aSocket = await t.connectSocket(a.chat.ticket);
			const aLog = recordSocket(aSocket);
			expect((await t.request('POST', '/api/auth/logout', { token: a.token })).status).toBe(204);
			await aLog.disconnected;
			expect(await isServed(bSocket, b.user.id)).toBe(true);
			expect(bLog.events).toEqual([]);
			bSocket.disconnect();
		});

		it('a ticket issued before logout no longer connects', async () => {
			const { token, chat } = await t.signUp();
			expect((await t.request('POST', '/api/auth/logout', { token })).status).toBe(204);
			await expectConnectRefused(t, chat.ticket);
		});
	});
});

// PROTOCOL.md 1: chat-ticket picks "the least-loaded live chat node"; with none, 503 no_chat_node.
describe.concurrent.each(backendNames())('a gateway without a chat node on %s', (backend) => {
	let t: TestParley;

	beforeAll(async () => {
		t = await startParley(backend, { env: { ROLES: 'gateway' } });
	});
	afterAll(async () => t?.stop());

	it('healthz lists only the gateway role', async () => {
		expect((await t.request('GET', '/healthz')).body).toEqual({ status: 'ok', nodeId: `test-${backend}`, roles: ['gateway'] });
	});

	it('login: 503 no_chat_node, and it leaves no session behind', async () => {
		const username = uniqueName();
		const email = `${username}@example.test`;
		const before = t.smtp.mails.length;
		expect((await t.request('POST', '/api/auth/verification', { body: { email, purpose: 'register' } })).status).toBe(202);
		const code = await t.smtp.codeFor(email, before);
		const registered = await t.request('POST', '/api/auth/register', { body: { username, email, password: 'long enough pw', code } });
		expect(registered.status).toBe(201);

		const res = await t.request('POST', '/api/auth/login', { body: { login: username, password: 'long enough pw' } });
		expectError(res, 503, 'no_chat_node');
		expect(res.headers.get('set-cookie')).toBeNull();
		const sessions = await t.parley.db.db.selectFrom('sessions').select('id').where('user_id', '=', registered.body.user.id).execute();
		expect(sessions).toEqual([]);

		// A session made some other way (a chat node that has since gone) asks for a ticket: 503 too.
		const { token } = await t.parley.auth.login({ login: username, password: 'long enough pw' }, { ip: '127.0.0.1', userAgent: null });
		expect((await t.request('GET', '/api/me', { token })).status).toBe(200);
		expectError(await t.request('POST', '/api/auth/chat-ticket', { token }), 503, 'no_chat_node');
	});
});
