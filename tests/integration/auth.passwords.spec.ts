import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

const GOOD = 'correct horse battery staple';
const COMMON = 'password'; // the list's second entry
const newEmail = () => `${uniqueName('mail')}@example.test`;

// PROTOCOL.md 1, field rules: a new password is not one of the commonest, nor the account's names.
describe.concurrent.each(backendNames())('password blocklist on %s', (backend) => {
	let t: TestParley;
	const codeFor = async (email: string, purpose: 'register' | 'reset') => {
		const before = t.smtp.mails.length;
		expect((await t.request('POST', '/api/auth/verification', { body: { email, purpose } })).status).toBe(202);
		return t.smtp.codeFor(email, before);
	};
	const userCount = async (usernameKey: string) =>
		(await t.parley.db.db.selectFrom('users').select('id').where('username_key', '=', usernameKey).execute()).length;

	beforeAll(async () => {
		t = await startParley(backend, { parley: { codes: { resendMs: 1 }, limits: { codesPerIp: 1000 } } });
	});
	afterAll(async () => t?.stop());

	it.each([
		[COMMON, 'this is one of the most common passwords; choose another'],
		['PassWord', 'this is one of the most common passwords; choose another'],
		['iloveyou', 'this is one of the most common passwords; choose another'],
		['1qaz2wsx', 'this is one of the most common passwords; choose another']
	])('register refuses %j: invalid_input on password, nothing created, the code still good', async (password, message) => {
		const username = uniqueName('Weak');
		const email = newEmail();
		const code = await codeFor(email, 'register');
		const error = expectError(await t.request('POST', '/api/auth/register', { body: { username, email, password, code } }), 400, 'invalid_input');
		expect(error.fields).toEqual({ password: message });
		expect(await userCount(username.toLowerCase())).toBe(0);
		// The refusal came before the code: the same code registers with a better password.
		expect((await t.request('POST', '/api/auth/register', { body: { username, email, password: GOOD, code } })).status).toBe(201);
	});

	it('register refuses the username or the email (or its local part) as the password', async () => {
		const username = uniqueName('Self');
		const email = `${uniqueName('inbox')}@example.test`;
		const code = await codeFor(email, 'register');
		for (const [password, message] of [
			[username.toUpperCase(), 'this is your username; choose another password'],
			[email, 'this is your email address; choose another password'],
			[email.split('@')[0], 'this is your email address; choose another password']
		]) {
			const error = expectError(await t.request('POST', '/api/auth/register', { body: { username, email, password, code } }), 400, 'invalid_input');
			expect(error.fields).toEqual({ password: message });
		}
		expect(await userCount(username.toLowerCase())).toBe(0);
	});

	it('password reset refuses a common password and the username; the code and the old password stay good', async () => {
		const { user, password } = await t.signUp({ email: newEmail() });
		const code = await codeFor(user.email!, 'reset');
		for (const [bad, message] of [
			[COMMON, 'this is one of the most common passwords; choose another'],
			[user.username, 'this is your username; choose another password'],
			[user.email!, 'this is your email address; choose another password']
		]) {
			const error = expectError(await t.request('POST', '/api/auth/password-reset', { body: { email: user.email, code, password: bad } }), 400, 'invalid_input');
			expect(error.fields).toEqual({ password: message });
		}
		expect((await t.request('POST', '/api/auth/login', { body: { login: user.username, password } })).status).toBe(200);
		expect((await t.request('POST', '/api/auth/password-reset', { body: { email: user.email, code, password: 'a brand new passphrase' } })).status).toBe(204);
	});

	it('a password that merely contains a common one is fine', async () => {
		const { user } = await t.signUp({ password: 'password of my own making' });
		expect(user.id).toEqual(expect.any(String));
	});
});
