import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConnectRefused, expectError } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

/** Strings that would do harm if pasted into SQL, HTML, a template, a path or a log line. */
const NASTY = [
	"' OR 1=1 --",
	"' OR '1'='1",
	'"; DROP TABLE users; --',
	"'); DELETE FROM sessions; --",
	"Robert'); DROP TABLE users;--",
	"1' UNION SELECT password_hash FROM users --",
	'\\"; SELECT 1; --',
	'<script>alert(1)</script>',
	'<img src=x onerror=alert(1)>',
	'${7*7} {{7*7}} #{7*7}',
	'../../../etc/passwd',
	'%00%27%22',
	'\u0000',
	'nul\u0000inside',
	'line\r\nX-Injected: header',
	'\u202eevil\u202c',
	'😀 émoji ünïcode 漢字',
	'   '
];

/** Which of them a display name refuses: control characters, and nothing left after trimming. */
const REFUSED_AS_NAME = new Set(['\u0000', 'nul\u0000inside', 'line\r\nX-Injected: header', '   ']);

const PASSWORD = 'correct horse battery staple';
const isError = (status: number) => status >= 400 && status < 500;

// The foundation issue: injection strings in every field are stored or refused, never executed.
describe.each(backendNames())('injection strings on %s', (backend) => {
	let t: TestParley;
	let victim: Awaited<ReturnType<TestParley['signUp']>>;

	const registerCode = async (email: string) => {
		const before = t.smtp.mails.length;
		expect((await t.request('POST', '/api/auth/verification', { body: { email, purpose: 'register' } })).status).toBe(202);
		return t.smtp.codeFor(email, before);
	};

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000, loginFailuresPerIp: 10_000, loginFailuresPerAccountAndIp: 10_000 } } });
		victim = await t.signUp({ displayName: 'Victim' });
	});
	afterAll(async () => t?.stop());

	// Concurrent: each string's tests are independent, and most of their time is waiting for mail.
	describe.concurrent.each(NASTY)('%j', (nasty) => {
		it('verification: 400 or the same 202 as always, never more', async () => {
			for (const body of [
				{ email: nasty, purpose: 'register' },
				{ email: victim.user.email, purpose: nasty },
				{ email: `${nasty}@example.test`, purpose: 'reset' }
			]) {
				const res = await t.request('POST', '/api/auth/verification', { body });
				if (res.status === 400) expectError(res, 400, 'invalid_input', { fields: [Object.keys(body).find((k) => (body as Record<string, string>)[k].includes(nasty))!] });
				else expect([202, 429]).toContain(res.status);
			}
		});

		it('availability: refused with 400 for username and email', async () => {
			const q = encodeURIComponent(nasty);
			expectError(await t.request('GET', `/api/auth/availability?username=${q}`), 400, 'invalid_input', { fields: ['username'] });
			expectError(await t.request('GET', `/api/auth/availability?email=${q}`), 400, 'invalid_input', { fields: ['email'] });
			// As a parameter name, too.
			expectError(await t.request('GET', `/api/auth/availability?${q}=1&username=someone`), 400, 'invalid_input');
		});

		it('register: username, email and code are refused with 400', async () => {
			const base = { username: uniqueName(), email: `${uniqueName('m')}@example.test`, password: PASSWORD, code: '123456' };
			for (const field of ['username', 'email', 'code'] as const) {
				expectError(await t.request('POST', '/api/auth/register', { body: { ...base, [field]: nasty } }), 400, 'invalid_input', { fields: [field] });
			}
		});

		it('register: displayName is refused with 400 or stored and returned verbatim; a password is taken verbatim', async () => {
			const email = `${uniqueName('m')}@example.test`;
			const username = uniqueName();
			// Long enough to be a password, and the string itself in the middle.
			const password = `#${nasty}${nasty}#`.padEnd(8, '#');
			const body = { username, email, password, code: await registerCode(email) };
			const res = await t.request('POST', '/api/auth/register', { body: { ...body, displayName: nasty } });
			let displayName = nasty;
			expect(res.status, JSON.stringify(res.body)).toBe(REFUSED_AS_NAME.has(nasty) ? 400 : 201);
			if (res.status === 400) {
				expectError(res, 400, 'invalid_input', { fields: ['displayName'] });
				expect(Object.keys(res.body.error.fields)).toEqual(['displayName']);
				// Refused input does not use up the code: register without the name.
				expect((await t.request('POST', '/api/auth/register', { body })).status).toBe(201);
				displayName = username;
			} else {
				expect(res.status).toBe(201);
				expect(res.body.user.displayName).toBe(nasty);
			}
			const login = await t.request('POST', '/api/auth/login', { body: { login: username, password } });
			expect(login.status).toBe(200);
			expect(login.body.user.displayName).toBe(displayName);
			expect((await t.request('GET', '/api/me', { token: login.body.token })).body.user.displayName).toBe(displayName);
			expectError(await t.request('POST', '/api/auth/login', { body: { login: username, password: "' OR '1'='1" } }), 401, 'unauthorized');
		});

		it('login: refused with 400 or 401, never a session', async () => {
			for (const body of [
				{ login: nasty, password: PASSWORD },
				{ login: victim.user.username, password: nasty },
				// Surrounding spaces are trimmed from a login, so only other strings make a new name.
				...(nasty.trim() === '' ? [] : [{ login: `${victim.user.username}${nasty}`, password: victim.password }]),
				{ login: nasty, password: nasty }
			]) {
				const res = await t.request('POST', '/api/auth/login', { body });
				expect(isError(res.status), `${res.status} ${JSON.stringify(res.body)}`).toBe(true);
				if (res.status === 400) expectError(res, 400, 'invalid_input');
				else expectError(res, 401, 'unauthorized');
			}
		});

		it('password-reset: refused with 400 or 422, and the victim keeps the password', async () => {
			for (const body of [
				{ email: nasty, code: '123456', password: PASSWORD },
				{ email: victim.user.email, code: nasty, password: PASSWORD },
				{ email: victim.user.email, code: '123456', password: `${nasty}`.padEnd(8, '#') }
			]) {
				const res = await t.request('POST', '/api/auth/password-reset', { body });
				expect([400, 422]).toContain(res.status);
				expectError(res, res.status, res.status === 400 ? 'invalid_input' : 'invalid_code');
			}
		});

		it('session token and ticket: refused with 401 and unauthorized', async () => {
			expectError(await t.request('GET', '/api/me', { headers: { cookie: `parley_session=${encodeURIComponent(nasty)}` } }), 401, 'unauthorized');
			if (/^[\x20-\x7e]*$/.test(nasty)) {
				expectError(await t.request('GET', '/api/me', { headers: { authorization: `Bearer ${nasty}` } }), 401, 'unauthorized');
			}
			await expectConnectRefused(t, nasty);
		});
	});

	it('emails with quotes and dashes are stored, mailed and returned verbatim', async () => {
		for (const email of [`${uniqueName('o')}'--@example.test`, `${uniqueName('x')}'+or+'1'-'1@example.test`]) {
			const username = uniqueName();
			const res = await t.request('POST', '/api/auth/register', { body: { username, email, password: PASSWORD, code: await registerCode(email) } });
			expect(res.status, JSON.stringify(res.body)).toBe(201);
			expect(res.body.user.email).toBe(email);
			const login = await t.request('POST', '/api/auth/login', { body: { login: email, password: PASSWORD } });
			expect(login.status).toBe(200);
			expect(login.body.user.username).toBe(username);
		}
	});

	it('afterwards every table is still there, with its rows, and the victim still signs in', async () => {
		const db = t.parley.db.db;
		const users = await db.selectFrom('users').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
		const sessions = await db.selectFrom('sessions').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
		expect(Number(users.n)).toBeGreaterThan(NASTY.length);
		expect(Number(sessions.n)).toBeGreaterThan(0);
		const victimRow = await db.selectFrom('users').select(['display_name', 'username']).where('id', '=', victim.user.id).executeTakeFirstOrThrow();
		expect(victimRow).toEqual({ display_name: 'Victim', username: victim.user.username });
		const login = await t.request('POST', '/api/auth/login', { body: { login: victim.user.username, password: victim.password } });
		expect(login.status).toBe(200);
		expect((await t.request('GET', '/api/me', { token: victim.token })).status).toBe(200);
	});
});
