import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectError, expectRateLimited } from '../helpers/assert.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

const COMMON = 'this is one of the most common passwords; choose another';
/** Per-address limits kept in the shared Redis outlive a run: every run claims its own addresses. */
const runIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

// PROTOCOL.md 1, `POST /api/auth/password-check`. It reads no table, so one database is enough; the
// throttle runs in memory and in Redis, which is what differs.
describe.each([
	['in memory', false],
	['with Redis', true]
])('password check, limits %s', (_name, redis) => {
	let t: TestParley;
	const check = (body: unknown, ip: string) => t.request('POST', '/api/auth/password-check', { body, ip });

	beforeAll(async () => {
		t = await startParley('sqlite', { redis, clientIp: runIp(), env: { LOG_LEVEL: 'debug' }, parley: { limits: { passwordCheckPerIpPerMinute: 3 } } });
	});
	afterAll(async () => t?.stop());

	it.each([
		['password1', COMMON],
		['PassWord1', COMMON],
		['iloveyou', COMMON],
		['correct horse battery staple', null],
		[`${uniqueName('strong')}-Z9!`, null]
	])('%j: 200 {problem: %j}', async (password, problem) => {
		const res = await check({ password }, runIp());
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ problem });
		expect(res.headers.get('cache-control')).toBe('no-store');
	});

	it.each([
		[{}, 'password', 'is required'],
		[{ password: 12345678 }, 'password', undefined],
		[{ password: 'short' }, 'password', 'at least 8 characters'],
		[{ password: 'x'.repeat(257) }, 'password', 'at most 256 characters'],
		[{ password: 'password1', username: 'alice' }, 'username', 'is not a known field'],
		[{ password: 'password\ud800' }, 'password', undefined]
	])('bad input %j: 400 invalid_input on %s', async (body, field, message) => {
		const error = expectError(await check(body, runIp()), 400, 'invalid_input', { fields: [field] });
		if (message) expect(error.fields![field]).toBe(message);
	});

	it('bad JSON and a GET are refused without a verdict', async () => {
		const ip = runIp();
		expectError(await t.request('POST', '/api/auth/password-check', { raw: '{"password":', headers: { 'content-type': 'application/json' }, ip }), 400, 'invalid_input');
		const get = await t.request('GET', '/api/auth/password-check?password=password1', { ip });
		expect(get.status).toBe(405);
		expect(get.headers.get('allow')).toContain('POST');
	});

	it('429 rate_limited past the per-address limit; another address is still answered', async () => {
		const ip = runIp();
		for (let i = 0; i < 3; i++) expect((await check({ password: 'password1' }, ip)).status).toBe(200);
		const refused = await check({ password: 'password1' }, ip);
		expectRateLimited(refused, 60);
		expect(JSON.stringify(refused.body)).not.toContain('common');
		expect((await check({ password: 'password1' }, runIp())).body).toEqual({ problem: COMMON });
	});

	it('never writes the password to the log, even at debug level and on errors', async () => {
		const secret = `${uniqueName('Secret')}-pw`;
		const written: string[] = [];
		const capture = (chunk: unknown) => void written.push(String(chunk));
		const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (capture(chunk), true));
		const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (capture(chunk), true));
		try {
			const ip = runIp();
			expect((await check({ password: secret }, ip)).status).toBe(200);
			expect((await check({ password: `${secret}${'x'.repeat(300)}` }, ip)).status).toBe(400);
			expect((await check({ password: secret, extra: secret }, ip)).status).toBe(400);
		} finally {
			out.mockRestore();
			err.mockRestore();
		}
		expect(written.join('')).not.toContain(secret);
	});
});
