import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_USED_UP } from '../../src/lib/protocol/index.js';
import { expectError } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

const wrong = (code: string, n = 1) => String((Number(code) + n) % 1_000_000).padStart(6, '0');

// PROTOCOL.md 1: a code used up by wrong tries says so, and a new one may be asked for at once.
describe.concurrent.each(backendNames())('used-up codes on %s', (backend) => {
	let t: TestParley;
	const verify = (email: string) => t.request('POST', '/api/auth/verification', { body: { email, purpose: 'reset' } });
	const reset = (email: string, code: string, password = 'a brand new passphrase') => t.request('POST', '/api/auth/password-reset', { body: { email, code, password } });

	beforeAll(async () => {
		// The default resend wait (60 s): the test must not wait it out, burning a code lifts it.
		t = await startParley(backend, { parley: { limits: { codesPerIp: 1000 } } });
	});
	afterAll(async () => t?.stop());

	it('after 5 wrong tries: the resend wait is lifted, the right code reads as used up, and a new code works', async () => {
		const { user, password } = await t.signUp({ email: `${uniqueName('burn')}@example.test` });
		const email = user.email!;
		// Signing up mailed a code a moment ago: the wait is on.
		expectError(await verify(email), 429, 'rate_limited');
		// Five wrong tries with no reset code at all burn alike, and lift the wait.
		for (let i = 0; i < 5; i++) expectError(await reset(email, '000000'), 422, 'invalid_code');
		let before = t.smtp.mails.length;
		const asked = await verify(email);
		expect(asked.status).toBe(202);
		expect(asked.body).toEqual({ expiresIn: 600, resendIn: 60 });
		const code = await t.smtp.codeFor(email, before);
		// The wait is on again for this code.
		expectError(await verify(email), 429, 'rate_limited');

		const messages: string[] = [];
		for (let i = 1; i <= 5; i++) messages.push(expectError(await reset(email, wrong(code, i)), 422, 'invalid_code').message);
		expect(messages).toEqual(['wrong or expired code; 4 tries left', 'wrong or expired code; 3 tries left', 'wrong or expired code; 2 tries left', 'wrong or expired code; 1 try left', CODE_USED_UP]);
		// The burnt code, even the right one, is said to be used up, not "wrong or expired".
		for (let i = 0; i < 2; i++) expect(expectError(await reset(email, code), 422, 'invalid_code').message).toBe(CODE_USED_UP);
		expect((await t.request('POST', '/api/auth/login', { body: { login: email, password } })).status).toBe(200);

		before = t.smtp.mails.length;
		expect((await verify(email)).status).toBe(202);
		const fresh = await t.smtp.codeFor(email, before);
		expect((await reset(email, fresh)).status).toBe(204);
		expect((await t.request('POST', '/api/auth/login', { body: { login: email, password: 'a brand new passphrase' } })).status).toBe(200);
	});

	it('an unknown email burns and lifts the wait exactly alike', async () => {
		const email = `${uniqueName('ghost')}@example.test`;
		expect((await verify(email)).status).toBe(202);
		expectError(await verify(email), 429, 'rate_limited');
		const messages: string[] = [];
		for (let i = 0; i < 6; i++) messages.push(expectError(await reset(email, '123456'), 422, 'invalid_code').message);
		expect(messages.slice(4)).toEqual([CODE_USED_UP, CODE_USED_UP]);
		expect((await verify(email)).status).toBe(202);
	});
});
