import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConnectRefused, expectError, isServed, recordSocket } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

const NEW_PASSWORD = 'a brand new passphrase';
const wrong = (code: string, n = 1) => String((Number(code) + n) % 1_000_000).padStart(6, '0');

// PROTOCOL.md 1: POST /api/auth/password-reset.
describe.concurrent.each(backendNames())('password reset on %s', (backend) => {
	let t: TestParley;
	const reset = (body: unknown) => t.request('POST', '/api/auth/password-reset', { body });
	const login = (login: string, password: string) => t.request('POST', '/api/auth/login', { body: { login, password } });
	const resetCode = async (email: string) => {
		const before = t.smtp.mails.length;
		expect((await t.request('POST', '/api/auth/verification', { body: { email, purpose: 'reset' } })).status).toBe(202);
		return t.smtp.codeFor(email, before);
	};

	beforeAll(async () => {
		// A 1 ms resend interval: an account signs up (one code) and then asks for a reset code at once.
		t = await startParley(backend, { parley: { codes: { resendMs: 1 }, limits: { codesPerIp: 1000 } } });
	});
	afterAll(async () => t?.stop());

	it('204 with the emailed code: the old password fails, the new one works', async () => {
		const { user, password } = await t.signUp();
		const code = await resetCode(user.email!);
		const res = await reset({ email: user.email, code, password: NEW_PASSWORD });
		expect(res.status).toBe(204);
		expect(res.body).toBeUndefined();
		expectError(await login(user.username, password), 401, 'unauthorized');
		const fresh = await login(user.username, NEW_PASSWORD);
		expect(fresh.status).toBe(200);
		expect(fresh.body.user.id).toBe(user.id);
	});

	it('ends every session of the user: tokens die, every socket gets session:ended {reason: "password_changed"}', async () => {
		const { user, password, token, chat } = await t.signUp();
		const second = (await login(user.username, password)).body;
		const sockets = await Promise.all([t.connectSocket(chat.ticket), t.connectSocket(second.chat.ticket)]);
		const logs = sockets.map(recordSocket);
		// Someone else, who must hear nothing.
		const bystander = await t.signUp();
		const bystanderSocket = await t.connectSocket(bystander.chat.ticket);
		const bystanderLog = recordSocket(bystanderSocket);

		expect((await reset({ email: user.email!.toUpperCase(), code: await resetCode(user.email!), password: NEW_PASSWORD })).status).toBe(204);
		await Promise.all(logs.map((l) => l.disconnected));
		for (const log of logs) {
			expect(log.events).toEqual([
				['session:ended', { reason: 'password_changed' }],
				['disconnect', 'io server disconnect']
			]);
		}
		for (const tk of [token, second.token]) expectError(await t.request('GET', '/api/me', { token: tk }), 401, 'unauthorized');
		expect(await isServed(bystanderSocket, bystander.user.id)).toBe(true);
		expect(bystanderLog.events).toEqual([]);
		expect((await t.request('GET', '/api/me', { token: bystander.token })).status).toBe(200);
		bystanderSocket.disconnect();
	});

	it('a ticket issued before the reset no longer connects', async () => {
		const { user, token } = await t.signUp();
		const ticket = (await t.request('POST', '/api/auth/chat-ticket', { token })).body.chat.ticket;
		expect((await reset({ email: user.email, code: await resetCode(user.email!), password: NEW_PASSWORD })).status).toBe(204);
		await expectConnectRefused(t, ticket);
	});

	it('works with no session open, and the user can sign in by email afterwards', async () => {
		const { user, token } = await t.signUp();
		expect((await t.request('POST', '/api/auth/logout', { token })).status).toBe(204);
		expect((await reset({ email: user.email, code: await resetCode(user.email!), password: NEW_PASSWORD })).status).toBe(204);
		expect((await login(user.email!, NEW_PASSWORD)).status).toBe(200);
	});

	it('a reset code is single-use', async () => {
		const { user } = await t.signUp();
		const code = await resetCode(user.email!);
		expect((await reset({ email: user.email, code, password: NEW_PASSWORD })).status).toBe(204);
		expectError(await reset({ email: user.email, code, password: 'yet another passphrase' }), 422, 'invalid_code');
		expect((await login(user.username, NEW_PASSWORD)).status).toBe(200);
	});

	it('422 invalid_code for a wrong code; burnt after 5 wrong tries, and the password stays', async () => {
		const { user, password } = await t.signUp();
		const code = await resetCode(user.email!);
		for (let i = 1; i <= 5; i++) expectError(await reset({ email: user.email, code: wrong(code, i), password: NEW_PASSWORD }), 422, 'invalid_code');
		expectError(await reset({ email: user.email, code, password: NEW_PASSWORD }), 422, 'invalid_code');
		expect((await login(user.username, password)).status).toBe(200);
		expect((await login(user.username, NEW_PASSWORD)).status).toBe(401);
	});

	it('a new code after burning one works', async () => {
		const { user } = await t.signUp();
		const burnt = await resetCode(user.email!);
		for (let i = 1; i <= 5; i++) await reset({ email: user.email, code: wrong(burnt, i), password: NEW_PASSWORD });
		const fresh = await resetCode(user.email!);
		expect((await reset({ email: user.email, code: fresh, password: NEW_PASSWORD })).status).toBe(204);
	});

	it('a register code does not reset a password', async () => {
		const { user, password } = await t.signUp();
		const before = t.smtp.mails.length;
		const email = `${uniqueName('mail')}@example.test`;
		await t.request('POST', '/api/auth/verification', { body: { email, purpose: 'register' } });
		const registerCode = await t.smtp.codeFor(email, before);
		// Register with that code; the code must not then work again as a reset code for the new account.
		expect((await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password, code: registerCode } })).status).toBe(201);
		expectError(await reset({ email, code: registerCode, password: NEW_PASSWORD }), 422, 'invalid_code');
		// And a reset code of one account does not reset another.
		const code = await resetCode(user.email!);
		expectError(await reset({ email, code, password: NEW_PASSWORD }), 422, 'invalid_code');
		expect((await login(email, password)).status).toBe(200);
	});

	it('an unknown email gets the same 422 as a known email with no code, and no account appears', async () => {
		const { user } = await t.signUp();
		const unknown = `${uniqueName('ghost')}@example.test`;
		expect((await t.request('POST', '/api/auth/verification', { body: { email: unknown, purpose: 'reset' } })).status).toBe(202);
		const a = await reset({ email: unknown, code: '123456', password: NEW_PASSWORD });
		const b = await reset({ email: user.email, code: '123456', password: NEW_PASSWORD });
		expectError(a, 422, 'invalid_code');
		expect(a.body).toEqual(b.body);
		expect((await t.request('GET', `/api/auth/availability?email=${encodeURIComponent(unknown)}`)).body).toEqual({ email: true });
	});

	const valid = { email: 'someone@example.test', code: '123456', password: NEW_PASSWORD };
	it.each([
		['email missing', { ...valid, email: undefined }, 'email'],
		['email invalid', { ...valid, email: 'someone' }, 'email'],
		['code missing', { ...valid, code: undefined }, 'code'],
		['code too short', { ...valid, code: '12345' }, 'code'],
		['code not digits', { ...valid, code: 'abcdef' }, 'code'],
		['password missing', { ...valid, password: undefined }, 'password'],
		['password too short', { ...valid, password: 'short' }, 'password'],
		['password too long', { ...valid, password: 'p'.repeat(257) }, 'password'],
		['an unknown field', { ...valid, username: 'someone' }, 'username']
	])('400 invalid_input with fields for %s', async (_label, body, field) => {
		expectError(await reset(body), 400, 'invalid_input', { fields: [field] });
	});

	it('a refused new password does not use up the code', async () => {
		const { user } = await t.signUp();
		const code = await resetCode(user.email!);
		expectError(await reset({ email: user.email, code, password: 'short' }), 400, 'invalid_input', { fields: ['password'] });
		expect((await reset({ email: user.email, code, password: NEW_PASSWORD })).status).toBe(204);
	});
});
