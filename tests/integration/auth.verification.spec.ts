import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectRateLimited } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

let ipCounter = 0;
/** A fresh client address per call, so the per-address code limit only bites where a test wants it. */
const nextIp = () => (++ipCounter, `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`);
const newEmail = () => `${uniqueName('mail')}@example.test`;

// PROTOCOL.md 1: POST /api/auth/verification and GET /api/auth/availability.
describe.concurrent.each(backendNames())('verification codes on %s', (backend) => {
	let t: TestParley;
	const verify = (body: unknown, ip = nextIp()) => t.request('POST', '/api/auth/verification', { body, ip });

	beforeAll(async () => {
		// A 1 ms resend interval, so an account made a moment ago can ask for a code again.
		t = await startParley(backend, { clientIp: '203.0.113.254', parley: { codes: { resendMs: 1 }, limits: { codesPerIp: 3 } } });
	});
	afterAll(async () => t?.stop());

	it('register: 202 {expiresIn: 600, resendIn} and a 6-digit code mailed to the address', async () => {
		const email = newEmail();
		const before = t.smtp.mails.length;
		const res = await verify({ email, purpose: 'register' });
		expect(res.status).toBe(202);
		expect(res.body).toEqual({ expiresIn: 600, resendIn: 1 });
		const mail = await t.smtp.waitFor(email, { after: before });
		expect(mail.to).toEqual([email]);
		expect(mail.text).toMatch(/\b\d{6}\b/);
		expect(mail.from).toBe('no-reply@localhost');
	});

	it('reset for an existing account: 202 {expiresIn: 600, resendIn} and a 6-digit code mailed', async () => {
		const { user } = await t.signUp({ ip: nextIp() });
		const before = t.smtp.mails.length;
		const res = await verify({ email: user.email, purpose: 'reset' });
		expect(res.status).toBe(202);
		expect(res.body).toEqual({ expiresIn: 600, resendIn: 1 });
		const code = await t.smtp.codeFor(user.email!, before);
		expect(code).toMatch(/^\d{6}$/);
	});

	it('answers the same whether or not the email has an account, for both purposes', async () => {
		const { user } = await t.signUp({ ip: nextIp() });
		for (const purpose of ['register', 'reset']) {
			const known = await verify({ email: user.email, purpose });
			const unknown = await verify({ email: newEmail(), purpose });
			expect({ status: known.status, body: known.body }).toEqual({ status: unknown.status, body: unknown.body });
			expect(known.status).toBe(202);
			expect(known.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
		}
	});

	it('reset for an unknown email sends no mail at all', async () => {
		const unknown = newEmail();
		const before = t.smtp.mails.length;
		expect((await verify({ email: unknown, purpose: 'reset' })).status).toBe(202);
		// Mails go out in the background: two later mails, each awaited, show the queue has moved past it.
		for (let i = 0; i < 2; i++) {
			const other = newEmail();
			expect((await verify({ email: other, purpose: 'register' })).status).toBe(202);
			await t.smtp.waitFor(other, { after: before });
		}
		expect(t.smtp.mails.slice(before).filter((m) => m.to.includes(unknown))).toEqual([]);
	});

	it('register for an existing email sends a notice that holds no code', async () => {
		const { user } = await t.signUp({ ip: nextIp() });
		const before = t.smtp.mails.length;
		expect((await verify({ email: user.email!.toUpperCase(), purpose: 'register' })).status).toBe(202);
		const notice = await t.smtp.waitFor(user.email!, { after: before });
		expect(notice.text).not.toMatch(/\b\d{6}\b/);
		expect(notice.text).toContain('already');
		expect(notice.subject).not.toMatch(/code/i);
	});

	it('a code is mailed to the address as typed, and each request replaces the last code', async () => {
		const email = newEmail();
		const before = t.smtp.mails.length;
		await verify({ email, purpose: 'register' });
		const first = await t.smtp.codeFor(email, before);
		const middle = t.smtp.mails.length;
		await verify({ email, purpose: 'register' });
		const second = await t.smtp.codeFor(email, middle);
		if (first !== second) {
			const stale = await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password: 'long enough pw', code: first } });
			expectError(stale, 422, 'invalid_code');
		}
		const fresh = await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password: 'long enough pw', code: second } });
		expect(fresh.status).toBe(201);
	});

	it('limits code requests per client address: 429 with Retry-After after codesPerIp', async () => {
		const ip = '203.0.113.77';
		for (let i = 0; i < 3; i++) expect((await verify({ email: newEmail(), purpose: 'register' }, ip)).status).toBe(202);
		const res = await verify({ email: newEmail(), purpose: 'reset' }, ip);
		expectRateLimited(res, 600);
		// Another address is not affected.
		expect((await verify({ email: newEmail(), purpose: 'register' })).status).toBe(202);
	});

	it.each([
		['no body at all', undefined, ['email', 'purpose']],
		['an empty object', {}, ['email', 'purpose']],
		['a missing purpose', { email: 'a@example.test' }, ['purpose']],
		['an unknown purpose', { email: 'a@example.test', purpose: 'login' }, ['purpose']],
		['a purpose of the wrong type', { email: 'a@example.test', purpose: 1 }, ['purpose']],
		['a missing email', { purpose: 'register' }, ['email']],
		['an email without @', { email: 'not-an-email', purpose: 'register' }, ['email']],
		['an email of the wrong type', { email: ['a@example.test'], purpose: 'register' }, ['email']],
		['an email over 254 characters', { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.test`, purpose: 'register' }, ['email']],
		['an unknown field', { email: 'a@example.test', purpose: 'register', admin: true }, ['admin']]
	])('refuses %s with 400 and fields', async (_label, body, fields) => {
		const res = body === undefined ? await t.request('POST', '/api/auth/verification', { ip: nextIp() }) : await verify(body);
		expectError(res, 400, 'invalid_input', { fields });
	});

	it.each([['an array', []], ['null', null], ['a string', 'a@example.test'], ['a number', 42]])('refuses %s as the body with 400', async (_label, body) => {
		expectError(await verify(body), 400, 'invalid_input');
	});
});

// PROTOCOL.md 1: one resend per 60 s per email, 429 with Retry-After.
describe.concurrent.each(backendNames())('verification resend interval on %s', (backend) => {
	let t: TestParley;
	const verify = (body: unknown) => t.request('POST', '/api/auth/verification', { body, ip: nextIp() });

	beforeAll(async () => {
		t = await startParley(backend, { clientIp: '203.0.113.253' });
	});
	afterAll(async () => t?.stop());

	it('a second request for a new email within 60 s gets 429 with a numeric Retry-After', async () => {
		const email = newEmail();
		expect((await verify({ email, purpose: 'register' })).status).toBe(202);
		expectRateLimited(await verify({ email, purpose: 'register' }), 60);
		// Case and surrounding spaces do not make it another email.
		expectRateLimited(await verify({ email: `  ${email.toUpperCase()} `, purpose: 'register' }), 60);
		// Nor does the other purpose.
		expectRateLimited(await verify({ email, purpose: 'reset' }), 60);
	});

	it('holds back an unknown email for reset exactly as a known one', async () => {
		const { user } = await t.signUp({ ip: nextIp() });
		const unknown = newEmail();
		expect((await verify({ email: unknown, purpose: 'reset' })).status).toBe(202);
		const a = await verify({ email: unknown, purpose: 'reset' });
		const b = await verify({ email: user.email, purpose: 'reset' });
		const withoutSeconds = (res: typeof a) => JSON.stringify(res.body).replace(/\d+/g, 'N');
		expectRateLimited(a, 60);
		expectRateLimited(b, 60);
		expect(withoutSeconds(a)).toBe(withoutSeconds(b));
	});

	it('holds back an existing email for register (the notice mail) like a new one', async () => {
		const { user } = await t.signUp({ ip: nextIp() });
		expectRateLimited(await verify({ email: user.email, purpose: 'register' }), 60);
	});

	it('of concurrent requests for one email, exactly one gets 202', async () => {
		const email = newEmail();
		const before = t.smtp.mails.length;
		const results = await Promise.all(Array.from({ length: 5 }, () => verify({ email, purpose: 'register' })));
		expect(results.map((r) => r.status).sort()).toEqual([202, 429, 429, 429, 429]);
		await t.smtp.codeFor(email, before);
	});

	it('one email waiting does not hold back another', async () => {
		const a = newEmail();
		expect((await verify({ email: a, purpose: 'register' })).status).toBe(202);
		expectRateLimited(await verify({ email: a, purpose: 'register' }), 60);
		expect((await verify({ email: newEmail(), purpose: 'register' })).status).toBe(202);
	});

	it('the held-back request sends no second mail', async () => {
		const email = newEmail();
		const before = t.smtp.mails.length;
		await verify({ email, purpose: 'register' });
		const code = await t.smtp.codeFor(email, before);
		expect((await verify({ email, purpose: 'register' })).status).toBe(429);
		// The first code still works: the refused request did not replace it.
		const res = await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password: 'long enough pw', code } });
		expect(res.status).toBe(201);
		expect(t.smtp.mails.slice(before).filter((m) => m.to.includes(email))).toHaveLength(1);
	});
});

describe.concurrent.each(backendNames())('availability on %s', (backend) => {
	let t: TestParley;
	let taken: { username: string; email: string };
	const check = (query: string) => t.request('GET', `/api/auth/availability?${query}`);

	beforeAll(async () => {
		t = await startParley(backend, { clientIp: '198.51.100.254', parley: { limits: { availabilityPerIpPerMinute: 20, availabilityPerIpPerDay: 30 } } });
		const { user } = await t.signUp({ username: uniqueName('Taken') });
		taken = { username: user.username, email: user.email! };
	});
	afterAll(async () => t?.stop());

	it('200 {username: true, email: true} for free ones', async () => {
		const res = await check(`username=${uniqueName()}&email=${encodeURIComponent(newEmail())}`);
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ username: true, email: true });
	});

	it('a taken username is false; a taken email answers true like a free one (only its mailbox is told)', async () => {
		const res = await check(`username=${taken.username}&email=${encodeURIComponent(taken.email)}`);
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ username: false, email: true });
		expect((await check(`email=${encodeURIComponent(taken.email.toUpperCase())}`)).body).toEqual({ email: true });
	});

	it('ignores case', async () => {
		expect((await check(`username=${taken.username.toUpperCase()}`)).body).toEqual({ username: false });
		expect((await check(`username=${taken.username.toLowerCase()}`)).body).toEqual({ username: false });
	});

	it('answers one of the two when asked for one', async () => {
		expect((await check(`username=${taken.username}`)).body).toEqual({ username: false });
		expect((await check(`email=${encodeURIComponent(newEmail())}`)).body).toEqual({ email: true });
		expect((await check(`username=${taken.username}&email=${encodeURIComponent(newEmail())}`)).body).toEqual({ username: false, email: true });
	});

	it('per client address: 429 rate_limited with Retry-After past the limit per minute, other addresses unaffected', async () => {
		const ip = '198.51.100.7';
		const look = () => t.request('GET', `/api/auth/availability?username=${uniqueName()}`, { ip });
		for (let i = 0; i < 20; i++) expect((await look()).status).toBe(200);
		expectRateLimited(await look(), 60);
		expectRateLimited(await t.request('GET', `/api/auth/availability?email=${encodeURIComponent(newEmail())}`, { ip }), 60);
		expect((await t.request('GET', `/api/auth/availability?username=${uniqueName()}`, { ip: '198.51.100.8' })).status).toBe(200);
	});

	it('per client address: a daily limit too', async () => {
		const daily = await startParley(backend, { clientIp: '198.51.100.10', parley: { limits: { availabilityPerIpPerMinute: 1000, availabilityPerIpPerDay: 3 } } });
		try {
			for (let i = 0; i < 3; i++) expect((await daily.request('GET', `/api/auth/availability?username=${uniqueName()}`)).status).toBe(200);
			const seconds = expectRateLimited(await daily.request('GET', `/api/auth/availability?username=${uniqueName()}`), 86_400);
			expect(seconds).toBeGreaterThan(60);
		} finally {
			await daily.stop();
		}
	});

	it.each([
		['neither parameter', '', ['username']],
		['a username too short', 'username=ab', ['username']],
		['a username too long', `username=${'a'.repeat(33)}`, ['username']],
		['a username with a space', 'username=a%20b%20c', ['username']],
		['a username with a quote', "username=bob'--", ['username']],
		['an invalid email', 'email=nope', ['email']],
		['an invalid email beside a good username', 'username=goodname&email=nope', ['email']],
		['an unknown parameter', 'username=goodname&admin=1', ['admin']]
	])('400 with fields for %s', async (_label, query, fields) => {
		expectError(await check(query), 400, 'invalid_input', { fields });
	});
});
