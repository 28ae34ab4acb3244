import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tickets, type TicketClaims } from '../../server/chat/node/tickets.js';
import { RedisStore } from '../../server/kv/redis.js';
import { expectConnectRefused, expectError, expectRateLimited, isServed } from '../helpers/assert.js';
import { REDIS_URL } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

const PASSWORD = 'correct horse battery staple';
const wrong = (code: string, n = 1) => String((Number(code) + n) % 1_000_000).padStart(6, '0');
/** Per-address limits live in the shared Redis for 10 to 15 minutes: every run claims its own addresses. */
const runIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

// The same flows with REDIS_URL set: codes, cool-downs, tickets and sign-in throttles kept in Redis,
// where every node of a cluster shares them. One database is enough; the store is what differs.
describe('with Redis (on sqlite)', () => {
	let t: TestParley;
	let redis: Redis;
	const clientIp = runIp();

	const codeFor = async (email: string, purpose: 'register' | 'reset' = 'register') => {
		const before = t.smtp.mails.length;
		expect((await t.request('POST', '/api/auth/verification', { body: { email, purpose } })).status).toBe(202);
		return t.smtp.codeFor(email, before);
	};

	beforeAll(async () => {
		t = await startParley('sqlite', { redis: true, clientIp, parley: { limits: { loginFailuresPerAccountAndIp: 3, loginFailuresPerIp: 5, availabilityPerIpPerMinute: 2 } } });
		redis = new Redis(REDIS_URL, { lazyConnect: true });
		await redis.connect();
	});
	afterAll(async () => {
		await t?.stop();
		await redis?.quit();
	});

	it('keeps codes in Redis, hashed, with a 10 minute TTL, and registers with them', async () => {
		const email = `${uniqueName('redis')}@example.test`;
		const code = await codeFor(email);
		const key = `${t.redisPrefix}code:register:${email}`;
		const stored = await redis.get(key);
		expect(stored).toMatch(/^[0-9a-f]{64}$/);
		expect(stored).not.toContain(code);
		const ttl = await redis.pttl(key);
		expect(ttl).toBeGreaterThan(0);
		expect(ttl).toBeLessThanOrEqual(600_000);

		const res = await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password: PASSWORD, code } });
		expect(res.status).toBe(201);
		// Used up: gone from Redis, and refused a second time.
		expect(await redis.exists(key)).toBe(0);
		expectError(await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email: email.toUpperCase(), password: PASSWORD, code } }), 422, 'invalid_code');
	});

	it('the resend interval holds in Redis: 429 with a numeric Retry-After', async () => {
		const email = `${uniqueName('redis')}@example.test`;
		expect((await t.request('POST', '/api/auth/verification', { body: { email, purpose: 'register' } })).status).toBe(202);
		expectRateLimited(await t.request('POST', '/api/auth/verification', { body: { email: email.toUpperCase(), purpose: 'reset' } }), 60);
		expect(await redis.pttl(`${t.redisPrefix}code-cooldown:${email}`)).toBeGreaterThan(0);
	});

	it('burns a code after 5 wrong tries', async () => {
		const email = `${uniqueName('redis')}@example.test`;
		const code = await codeFor(email);
		const body = { username: uniqueName(), email, password: PASSWORD };
		for (let i = 1; i <= 5; i++) expectError(await t.request('POST', '/api/auth/register', { body: { ...body, code: wrong(code, i) } }), 422, 'invalid_code');
		expectError(await t.request('POST', '/api/auth/register', { body: { ...body, code } }), 422, 'invalid_code');
		expect(await redis.exists(`${t.redisPrefix}code:register:${email}`)).toBe(0);
	});

	it('a wrong try counts in Redis with the code’s lifetime', async () => {
		const email = `${uniqueName('redis')}@example.test`;
		const code = await codeFor(email);
		await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password: PASSWORD, code: wrong(code) } });
		const fails = `${t.redisPrefix}code-fails:register:${email}`;
		expect(await redis.get(fails)).toBe('1');
		const ttl = await redis.pttl(fails);
		expect(ttl).toBeGreaterThan(0);
		expect(ttl).toBeLessThanOrEqual(600_000);
	});

	it('password reset with a Redis code ends the sessions', async () => {
		const { user, token } = await t.signUp();
		// The sign-up's code claimed the email's resend slot; free it as a minute passing would.
		await redis.del(`${t.redisPrefix}code-cooldown:${user.email}`);
		const code = await codeFor(user.email!, 'reset');
		expect((await t.request('POST', '/api/auth/password-reset', { body: { email: user.email, code, password: 'a brand new passphrase' } })).status).toBe(204);
		expectError(await t.request('GET', '/api/me', { token }), 401, 'unauthorized');
		expectError(await t.request('POST', '/api/auth/password-reset', { body: { email: user.email, code, password: 'another passphrase' } }), 422, 'invalid_code');
	});

	it('tickets live in Redis and work once', async () => {
		const { user, chat, token } = await t.signUp();
		expect(await redis.exists(`${t.redisPrefix}ticket:${chat.ticket}`)).toBe(1);
		const socket = await t.connectSocket(chat.ticket, chat.url);
		expect(await isServed(socket, user.id)).toBe(true);
		expect(await redis.exists(`${t.redisPrefix}ticket:${chat.ticket}`)).toBe(0);
		await expectConnectRefused(t, chat.ticket);
		// A fresh one from chat-ticket works too.
		const fresh = (await t.request('POST', '/api/auth/chat-ticket', { token })).body.chat.ticket;
		expect(await isServed(await t.connectSocket(fresh), user.id)).toBe(true);
		socket.disconnect();
	});

	it('a ticket issued by another node over the same Redis is honoured here; a garbage one is not', async () => {
		const { user, token } = await t.signUp();
		// The claims of this session, read from a ticket this node issued (and left unused).
		const own = (await t.request('POST', '/api/auth/chat-ticket', { token })).body.chat.ticket as string;
		const claims = JSON.parse((await redis.get(`${t.redisPrefix}ticket:${own}`))!) as TicketClaims;
		expect(claims.userId).toBe(user.id);
		// Another gateway: its own connection and store, the same Redis.
		const otherNode = new Tickets(new RedisStore(redis, t.redisPrefix));
		const ticket = await otherNode.issue(claims);
		expect(await isServed(await t.connectSocket(ticket), user.id)).toBe(true);
		await expectConnectRefused(t, ticket);
		await expectConnectRefused(t, 'garbage-ticket');
	});

	it('per account-and-address sign-in throttle holds in Redis: 429 with Retry-After, by username or email; the owner elsewhere signs in', async () => {
		const { user, password } = await t.signUp();
		const ip = runIp();
		for (let i = 0; i < 3; i++) {
			expectError(await t.request('POST', '/api/auth/login', { body: { login: i % 2 ? user.email : user.username, password: 'wrong password' }, ip }), 401, 'unauthorized');
		}
		expectRateLimited(await t.request('POST', '/api/auth/login', { body: { login: user.username, password }, ip }), 900);
		expect(await redis.exists(`${t.redisPrefix}rl:login-account-ip:user:${user.id}@${ip}`)).toBe(1);
		expect((await t.request('POST', '/api/auth/login', { body: { login: user.username, password }, ip: runIp() })).status).toBe(200);
	});

	it('per-address sign-in throttle holds in Redis', async () => {
		const ip = runIp();
		for (let i = 0; i < 5; i++) {
			expectError(await t.request('POST', '/api/auth/login', { body: { login: uniqueName('ghost'), password: 'wrong password' }, ip }), 401, 'unauthorized');
		}
		expectRateLimited(await t.request('POST', '/api/auth/login', { body: { login: uniqueName('ghost'), password: 'wrong password' }, ip }), 86_400);
	});

	it('the availability throttle holds in Redis', async () => {
		const ip = runIp();
		for (let i = 0; i < 2; i++) expect((await t.request('GET', `/api/auth/availability?username=${uniqueName()}`, { ip })).status).toBe(200);
		expectRateLimited(await t.request('GET', `/api/auth/availability?username=${uniqueName()}`, { ip }), 60);
		expect(await redis.exists(`${t.redisPrefix}rl:availability-ip:${ip}`)).toBe(1);
	});
});

// Code expiry by Redis TTL rather than by the memory store's clock.
describe('with Redis: code expiry (on sqlite)', () => {
	let t: TestParley;

	beforeAll(async () => {
		t = await startParley('sqlite', { redis: true, clientIp: runIp(), parley: { codes: { ttlMs: 300 } } });
	});
	afterAll(async () => t?.stop());

	it('an expired code gets 422 invalid_code', async () => {
		const email = `${uniqueName('redis')}@example.test`;
		const before = t.smtp.mails.length;
		expect((await t.request('POST', '/api/auth/verification', { body: { email, purpose: 'register' } })).status).toBe(202);
		const code = await t.smtp.codeFor(email, before);
		await new Promise((resolve) => setTimeout(resolve, 400));
		expectError(await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password: PASSWORD, code } }), 422, 'invalid_code');
	});
});
