import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectRateLimited } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

let ipCounter = 0;
/** A fresh client address, so one test's failures do not count against another's. */
const nextIp = () => (++ipCounter, `192.0.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`);

/** The account-and-address window; the per-address one is a day. */
const WINDOW_SECONDS = 900;
const DAY_SECONDS = 86_400;

// PROTOCOL.md 1: POST /api/auth/login, and the sign-in throttles of the foundation issue.
describe.concurrent.each(backendNames())('login on %s', (backend) => {
	let t: TestParley;
	const login = (body: unknown, ip = nextIp()) => t.request('POST', '/api/auth/login', { body, ip });

	beforeAll(async () => {
		t = await startParley(backend, {
			clientIp: '203.0.113.254',
			parley: { limits: { loginFailuresPerAccountAndIp: 3, loginFailuresPerIp: 5, codesPerIp: 1000 } }
		});
	});
	afterAll(async () => t?.stop());

	it('by username: 200 {user, token, chat: {url, ticket}} and an HttpOnly SameSite=Lax session cookie', async () => {
		const { user, password } = await t.signUp({ displayName: 'Logan' });
		const res = await login({ login: user.username, password });
		expect(res.status).toBe(200);
		expect(Object.keys(res.body).sort()).toEqual(['chat', 'token', 'user']);
		expect(res.body.user).toEqual({ id: user.id, username: user.username, displayName: 'Logan', email: user.email, bio: '', avatarUrl: null });
		expect(typeof res.body.token).toBe('string');
		// At least 128 random bits.
		expect(res.body.token.length).toBeGreaterThanOrEqual(22);
		expect(res.body.chat).toEqual({ url: t.baseUrl, ticket: expect.any(String) });
		expect(res.body.chat.ticket.length).toBeGreaterThan(0);

		const cookie = res.headers.get('set-cookie')!;
		expect(cookie).toBeTruthy();
		const [pair, ...attributes] = cookie.split(';').map((s) => s.trim());
		expect(pair).toBe(`parley_session=${res.body.token}`);
		expect(attributes).toContain('HttpOnly');
		expect(attributes).toContain('SameSite=Lax');
		expect(attributes).toContain('Path=/');
		// PUBLIC_URL is http here, so the cookie must not be Secure (the browser would drop it).
		expect(attributes).not.toContain('Secure');
		const maxAge = attributes.find((a) => a.startsWith('Max-Age='));
		expect(Number(maxAge?.slice('Max-Age='.length))).toBeGreaterThan(0);
	});

	it('by username in any case, and by email in any case', async () => {
		const { user, password } = await t.signUp({ username: uniqueName('CamelCase') });
		for (const name of [user.username.toLowerCase(), user.username.toUpperCase(), user.email!, user.email!.toUpperCase(), `  ${user.email}  `]) {
			const res = await login({ login: name, password });
			expect(res.status, name).toBe(200);
			expect(res.body.user.id).toBe(user.id);
		}
	});

	it('every sign-in is a new session with its own token and ticket', async () => {
		const { user, password } = await t.signUp();
		const a = await login({ login: user.username, password });
		const b = await login({ login: user.username, password });
		expect(a.body.token).not.toBe(b.body.token);
		expect(a.body.chat.ticket).not.toBe(b.body.chat.ticket);
		for (const token of [a.body.token, b.body.token]) expect((await t.request('GET', '/api/me', { token })).status).toBe(200);
	});

	it('401 unauthorized for a wrong password, and the very same answer for an unknown user', async () => {
		const { user, password } = await t.signUp();
		const wrongPassword = await login({ login: user.username, password: `${password}!` });
		const unknownUser = await login({ login: uniqueName('ghost'), password });
		const unknownEmail = await login({ login: `${uniqueName('ghost')}@example.test`, password });
		expectError(wrongPassword, 401, 'unauthorized');
		expect(unknownUser.body).toEqual(wrongPassword.body);
		expect(unknownEmail.body).toEqual(wrongPassword.body);
		expect(unknownUser.status).toBe(401);
		expect(wrongPassword.headers.get('set-cookie')).toBeNull();
	});

	it('the password is case-sensitive and not trimmed', async () => {
		const { user, password } = await t.signUp({ password: 'Case Sensitive Pass' });
		expect((await login({ login: user.username, password: password.toLowerCase() })).status).toBe(401);
		expect((await login({ login: user.username, password: ` ${password}` })).status).toBe(401);
		expect((await login({ login: user.username, password })).status).toBe(200);
	});

	it.each([
		['login missing', { password: 'whatever pw' }, ['login']],
		['login empty', { login: '', password: 'whatever pw' }, ['login']],
		['login only spaces', { login: '   ', password: 'whatever pw' }, ['login']],
		['login not a string', { login: 42, password: 'whatever pw' }, ['login']],
		['login over 254 characters', { login: 'l'.repeat(255), password: 'whatever pw' }, ['login']],
		['login with a NUL', { login: 'some\u0000one', password: 'whatever pw' }, ['login']],
		['login with a line break', { login: 'some\none', password: 'whatever pw' }, ['login']],
		['password missing', { login: 'someone' }, ['password']],
		['password empty', { login: 'someone', password: '' }, ['password']],
		['password over 256 characters', { login: 'someone', password: 'p'.repeat(257) }, ['password']],
		['password not a string', { login: 'someone', password: ['pw'] }, ['password']],
		['an unknown field', { login: 'someone', password: 'whatever pw', remember: true }, ['remember']],
		['an empty body', {}, ['login', 'password']]
	])('400 invalid_input for %s', async (_label, body, fields) => {
		expectError(await login(body), 400, 'invalid_input', { fields });
	});

	it('per account and address: after 3 failures, 429 with Retry-After from that address, even with the right password and by any spelling', async () => {
		const { user, password } = await t.signUp();
		const ip = nextIp();
		for (let i = 0; i < 3; i++) expectError(await login({ login: user.username, password: 'wrong password' }, ip), 401, 'unauthorized');
		expectRateLimited(await login({ login: user.username, password: 'wrong password' }, ip), WINDOW_SECONDS);
		expectRateLimited(await login({ login: user.username, password }, ip), WINDOW_SECONDS);
		// Other spellings of the same account are the same account.
		expectRateLimited(await login({ login: user.username.toUpperCase(), password }, ip), WINDOW_SECONDS);
		expectRateLimited(await login({ login: user.email, password }, ip), WINDOW_SECONDS);
		// Another account from that address is not locked by it.
		const other = await t.signUp();
		expect((await login({ login: other.user.username, password: other.password }, ip)).status).toBe(200);
	});

	it("with the default limits, a stranger's 12 wrong passwords from address A never lock the owner out: the owner signs in from B at once, A is throttled", async () => {
		// clientIp turns TRUST_PROXY on, so each request's X-Forwarded-For is its address.
		const defaults = await startParley(backend, { clientIp: nextIp() });
		try {
			const signIn = (body: unknown, ip: string) => defaults.request('POST', '/api/auth/login', { body, ip });
			const bob = await defaults.signUp({ ip: nextIp() });
			const [a, b] = [nextIp(), nextIp()];
			const statuses: number[] = [];
			for (let i = 0; i < 12; i++) statuses.push((await signIn({ login: i % 2 ? bob.user.email : bob.user.username, password: `wrong password ${i}` }, a)).status);
			const owner = await signIn({ login: bob.user.username, password: bob.password }, b);
			expect(owner.status, JSON.stringify(owner.body)).toBe(200);
			expect(owner.body.user.id).toBe(bob.user.id);
			expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
			expectRateLimited(await signIn({ login: bob.user.username, password: bob.password }, a), WINDOW_SECONDS);
		} finally {
			await defaults.stop();
		}
	});

	it('per account and address: failures by username and by email add up', async () => {
		const { user, password } = await t.signUp();
		const ip = nextIp();
		expect((await login({ login: user.username, password: 'wrong password' }, ip)).status).toBe(401);
		expect((await login({ login: user.email, password: 'wrong password' }, ip)).status).toBe(401);
		expect((await login({ login: user.email!.toUpperCase(), password: 'wrong password' }, ip)).status).toBe(401);
		expectRateLimited(await login({ login: user.username, password }, ip), WINDOW_SECONDS);
	});

	it('per account and address: an unknown name is throttled exactly like a real one, so the lock tells nothing', async () => {
		const ghost = uniqueName('ghost');
		const { user } = await t.signUp();
		const answers = async (name: string) => {
			const ip = nextIp();
			const out: number[] = [];
			for (let i = 0; i < 4; i++) out.push((await login({ login: name, password: 'wrong password' }, ip)).status);
			return out;
		};
		expect(await answers(ghost)).toEqual([401, 401, 401, 429]);
		expect(await answers(user.username)).toEqual([401, 401, 401, 429]);
	});

	it('per account and address: a successful sign-in clears the count', async () => {
		const { user, password } = await t.signUp();
		const ip = nextIp();
		for (let i = 0; i < 2; i++) expect((await login({ login: user.username, password: 'wrong password' }, ip)).status).toBe(401);
		expect((await login({ login: user.username, password }, ip)).status).toBe(200);
		for (let i = 0; i < 2; i++) expect((await login({ login: user.username, password: 'wrong password' }, ip)).status).toBe(401);
		expect((await login({ login: user.username, password }, ip)).status).toBe(200);
	});

	it('per address: after 5 failures over many accounts, 429 with Retry-After (up to a day) for any sign-in from that address', async () => {
		const ip = nextIp();
		const victim = await t.signUp();
		for (let i = 0; i < 5; i++) expectError(await login({ login: uniqueName('spray'), password: 'wrong password' }, ip), 401, 'unauthorized');
		const seconds = expectRateLimited(await login({ login: uniqueName('spray'), password: 'wrong password' }, ip), DAY_SECONDS);
		expect(seconds).toBeGreaterThan(WINDOW_SECONDS);
		expectRateLimited(await login({ login: victim.user.username, password: victim.password }, ip), DAY_SECONDS);
		// From elsewhere, the same account signs in.
		expect((await login({ login: victim.user.username, password: victim.password })).status).toBe(200);
	});

	it('a throttled answer sets no cookie and starts no session', async () => {
		const { user, password } = await t.signUp();
		const ip = nextIp();
		for (let i = 0; i < 3; i++) await login({ login: user.username, password: 'wrong password' }, ip);
		const res = await login({ login: user.username, password }, ip);
		expect(res.status).toBe(429);
		expect(res.headers.get('set-cookie')).toBeNull();
		expect(res.body.token).toBeUndefined();
	});
});
