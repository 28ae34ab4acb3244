import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../server/auth/auth.repository.js';
import { hashPassword } from '../../server/auth/passwords.js';
import { newId } from '../../server/db/ids.js';
import { expectError } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

const PASSWORD = 'correct horse battery staple';
const newEmail = () => `${uniqueName('mail')}@example.test`;

/** Asks for a code and reads it from the SMTP catcher. */
async function codeFor(t: TestParley, email: string, purpose: 'register' | 'reset' = 'register'): Promise<string> {
	const before = t.smtp.mails.length;
	const res = await t.request('POST', '/api/auth/verification', { body: { email, purpose } });
	expect(res.status).toBe(202);
	return t.smtp.codeFor(email, before);
}

/** A 6-digit code that is not `code`. */
const wrong = (code: string, n = 1) => String((Number(code) + n) % 1_000_000).padStart(6, '0');

// PROTOCOL.md 1: POST /api/auth/register.
describe.concurrent.each(backendNames())('register on %s', (backend) => {
	let t: TestParley;
	const register = (body: unknown) => t.request('POST', '/api/auth/register', { body });

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 1000 } } });
	});
	afterAll(async () => t?.stop());

	it('201 {user: {id, username, displayName, email}} with the emailed code', async () => {
		const username = uniqueName('Reg');
		const email = newEmail();
		const code = await codeFor(t, email);
		const res = await register({ username, email, password: PASSWORD, code, displayName: 'Regina Example' });
		expect(res.status).toBe(201);
		expect(Object.keys(res.body)).toEqual(['user']);
		expect(res.body.user).toEqual({ id: expect.any(String), username, displayName: 'Regina Example', email, bio: '', avatarUrl: null });
		expect(res.body.user.id.length).toBeGreaterThan(0);
		// The account is real: it can sign in with the password.
		const login = await t.request('POST', '/api/auth/login', { body: { login: username, password: PASSWORD } });
		expect(login.status).toBe(200);
		expect(login.body.user).toEqual(res.body.user);
	});

	it('stores the password only as an argon2id hash', async () => {
		const { user, password } = await t.signUp();
		const row = await t.parley.db.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
		expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
		expect(row.password_hash).not.toContain(password);
	});

	it('displayName defaults to the username', async () => {
		const username = uniqueName('NoName');
		const email = newEmail();
		const res = await register({ username, email, password: PASSWORD, code: await codeFor(t, email) });
		expect(res.status).toBe(201);
		expect(res.body.user.displayName).toBe(username);
	});

	it('keeps the case of username and email as typed, and trims surrounding spaces', async () => {
		const username = uniqueName('MiXeD');
		const email = `${uniqueName('Case')}@Example.TEST`;
		const code = await codeFor(t, email.toLowerCase());
		const res = await register({ username: ` ${username} `, email: ` ${email} `, password: PASSWORD, code: ` ${code} `, displayName: '  Spaced  ' });
		expect(res.status).toBe(201);
		expect(res.body.user).toMatchObject({ username, email, displayName: 'Spaced' });
	});

	it('gives every account its own id', async () => {
		const a = await t.signUp();
		const b = await t.signUp();
		expect(a.user.id).not.toBe(b.user.id);
	});

	it('422 invalid_code for a wrong code; the right one still works after fewer than 5 wrong tries', async () => {
		const email = newEmail();
		const code = await codeFor(t, email);
		const body = { username: uniqueName(), email, password: PASSWORD };
		for (let i = 1; i <= 4; i++) expectError(await register({ ...body, code: wrong(code, i) }), 422, 'invalid_code');
		expect((await register({ ...body, code })).status).toBe(201);
	});

	it('burns the code after 5 wrong tries: the right code then fails too', async () => {
		const email = newEmail();
		const code = await codeFor(t, email);
		const body = { username: uniqueName(), email, password: PASSWORD };
		for (let i = 1; i <= 5; i++) expectError(await register({ ...body, code: wrong(code, i) }), 422, 'invalid_code');
		expectError(await register({ ...body, code }), 422, 'invalid_code');
		expect((await t.request('GET', `/api/auth/availability?username=${body.username}`)).body).toEqual({ username: true });
	});

	it('422 invalid_code when no code was ever sent to the email', async () => {
		expectError(await register({ username: uniqueName(), email: newEmail(), password: PASSWORD, code: '123456' }), 422, 'invalid_code');
	});

	it("a code works only for the email it was sent to", async () => {
		const a = newEmail();
		const b = newEmail();
		const code = await codeFor(t, a);
		expectError(await register({ username: uniqueName(), email: b, password: PASSWORD, code }), 422, 'invalid_code');
	});

	it('409 username_taken, ignoring case, without burning the code', async () => {
		const existing = await t.signUp({ username: uniqueName('Owner') });
		const email = newEmail();
		const code = await codeFor(t, email);
		const res = await register({ username: existing.user.username.toUpperCase(), email, password: PASSWORD, code });
		expectError(res, 409, 'username_taken');
		expect((await register({ username: existing.user.username.toLowerCase(), email, password: PASSWORD, code })).status).toBe(409);
		// The same code still registers a free name.
		expect((await register({ username: uniqueName(), email, password: PASSWORD, code })).status).toBe(201);
	});

	it('a taken email is not told without its code: 422 invalid_code exactly as for a free email', async () => {
		// Made directly, so that no code was mailed to it within the last minute (the resend slot).
		const existing = { user: { email: newEmail() } };
		const now = new Date().toISOString();
		const username = uniqueName('Owner');
		await insertUser(t.parley.db.db, { id: newId(), username, username_key: username.toLowerCase(), email: existing.user.email, email_key: existing.user.email, display_name: username, bio: '', password_hash: await hashPassword(PASSWORD), created_at: now, updated_at: now });
		const free = newEmail();
		// Without asking for a code first, and after asking (a taken email gets a mail but no code): the
		// tries left must match too, so asking must restart the count for a taken email as a new code does.
		for (const ask of [false, true]) {
			if (ask) {
				await codeFor(t, free);
				const before = t.smtp.mails.length;
				expect((await t.request('POST', '/api/auth/verification', { body: { email: existing.user.email, purpose: 'register' } })).status).toBe(202);
				await t.smtp.waitFor(existing.user.email!, { after: before });
			}
			const takenAnswer = await register({ username: uniqueName(), email: existing.user.email!.toUpperCase(), password: PASSWORD, code: '000000' });
			const freeAnswer = await register({ username: uniqueName(), email: free, password: PASSWORD, code: '000000' });
			expectError(takenAnswer, 422, 'invalid_code');
			expect(takenAnswer.body).toEqual(freeAnswer.body);
		}
	});

	it('two concurrent registrations of one username: one 201, one 409 username_taken', async () => {
		const username = uniqueName('Race');
		const [a, b] = [newEmail(), newEmail()];
		const [codeA, codeB] = [await codeFor(t, a), await codeFor(t, b)];
		const results = await Promise.all([
			register({ username, email: a, password: PASSWORD, code: codeA }),
			register({ username: username.toUpperCase(), email: b, password: PASSWORD, code: codeB })
		]);
		const statuses = results.map((r) => r.status).sort();
		expect(statuses).toEqual([201, 409]);
		expectError(results.find((r) => r.status === 409)!, 409, 'username_taken');
	});

	it('two concurrent registrations with one email and code: exactly one account', async () => {
		const email = newEmail();
		const code = await codeFor(t, email);
		const results = await Promise.all([0, 1, 2].map(() => register({ username: uniqueName(), email, password: PASSWORD, code })));
		expect(results.filter((r) => r.status === 201)).toHaveLength(1);
		for (const r of results.filter((r) => r.status !== 201)) {
			expect([409, 422]).toContain(r.status);
			expectError(r, r.status, r.status === 409 ? 'email_taken' : 'invalid_code');
		}
	});

	const valid = { username: 'validname', email: 'valid@example.test', password: PASSWORD, code: '123456' };
	it.each([
		['username missing', { ...valid, username: undefined }, 'username'],
		['username too short', { ...valid, username: 'ab' }, 'username'],
		['username too long', { ...valid, username: 'a'.repeat(33) }, 'username'],
		['username with a space', { ...valid, username: 'two words' }, 'username'],
		['username with @', { ...valid, username: 'me@home' }, 'username'],
		['username "Everyone" (reserved for group mentions)', { ...valid, username: 'Everyone' }, 'username'],
		['username not a string', { ...valid, username: 12345 }, 'username'],
		['email missing', { ...valid, email: undefined }, 'email'],
		['email invalid', { ...valid, email: 'valid.example.test' }, 'email'],
		['email not a string', { ...valid, email: { address: 'x@example.test' } }, 'email'],
		['password missing', { ...valid, password: undefined }, 'password'],
		['password too short', { ...valid, password: '1234567' }, 'password'],
		['password too long', { ...valid, password: 'p'.repeat(257) }, 'password'],
		['password not a string', { ...valid, password: 12345678 }, 'password'],
		['code missing', { ...valid, code: undefined }, 'code'],
		['code of 5 digits', { ...valid, code: '12345' }, 'code'],
		['code of 7 digits', { ...valid, code: '1234567' }, 'code'],
		['code with letters', { ...valid, code: '12a456' }, 'code'],
		['code as a number', { ...valid, code: 123456 }, 'code'],
		['displayName empty', { ...valid, displayName: '' }, 'displayName'],
		['displayName only spaces', { ...valid, displayName: '   ' }, 'displayName'],
		['displayName too long', { ...valid, displayName: 'd'.repeat(65) }, 'displayName'],
		['displayName with a line break', { ...valid, displayName: 'two\nlines' }, 'displayName'],
		['displayName null', { ...valid, displayName: null }, 'displayName'],
		['an unknown field', { ...valid, isAdmin: true }, 'isAdmin']
	])('400 invalid_input with fields.%s', async (_label, body, field) => {
		expectError(await register(body), 400, 'invalid_input', { fields: [field] });
	});

	it('names every bad field at once', async () => {
		const res = await register({ username: 'x', email: 'y', password: 'z', code: 'w', extra: 1 });
		expectError(res, 400, 'invalid_input', { fields: ['username', 'email', 'password', 'code', 'extra'] });
	});

	it('accepts the limits exactly: 3 and 32 character usernames, 8 and 256 character passwords, 64 character names', async () => {
		for (const [username, password, displayName] of [
			[uniqueName('u').slice(0, 3), 'p'.repeat(8), 'd'.repeat(64)],
			[uniqueName('u').padEnd(32, 'x'), 'p'.repeat(256), 'émoji 😀 ok']
		]) {
			const email = newEmail();
			const res = await register({ username, email, password, code: await codeFor(t, email), displayName });
			expect(res.status, JSON.stringify(res.body)).toBe(201);
			expect(res.body.user).toMatchObject({ username, displayName });
			expect((await t.request('POST', '/api/auth/login', { body: { login: username, password } })).status).toBe(200);
		}
	});
});

// PROTOCOL.md 1: codes expire (10 minutes by default; here 300 ms).
describe.concurrent.each(backendNames())('code expiry on %s', (backend) => {
	let t: TestParley;

	beforeAll(async () => {
		t = await startParley(backend, { parley: { codes: { ttlMs: 300, resendMs: 1 } } });
	});
	afterAll(async () => t?.stop());

	it('an expired register code gets 422 invalid_code', async () => {
		const email = newEmail();
		const code = await codeFor(t, email);
		await new Promise((resolve) => setTimeout(resolve, 400));
		expectError(await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password: PASSWORD, code } }), 422, 'invalid_code');
	});

	it('an expired reset code gets 422 invalid_code and leaves the password alone', async () => {
		// Made straight in the database: signing up through a 300 ms code would race the mail.
		const user = { id: newId(), username: uniqueName('Exp'), email: newEmail() };
		const password = 'the old password';
		const now = new Date().toISOString();
		await insertUser(t.parley.db.db, {
			id: user.id,
			username: user.username,
			username_key: user.username.toLowerCase(),
			email: user.email,
			email_key: user.email,
			display_name: user.username,
			bio: '',
			password_hash: await hashPassword(password),
			created_at: now,
			updated_at: now
		});
		const code = await codeFor(t, user.email, 'reset');
		await new Promise((resolve) => setTimeout(resolve, 400));
		const res = await t.request('POST', '/api/auth/password-reset', { body: { email: user.email, code, password: 'a brand new password' } });
		expectError(res, 422, 'invalid_code');
		expect((await t.request('POST', '/api/auth/login', { body: { login: user.username, password } })).status).toBe(200);
	});
});
