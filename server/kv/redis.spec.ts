import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyValueContract } from '../../tests/helpers/kv-contract.js';
import { RedisStore } from './redis.js';

// Real Redis (TEST_REDIS_URL, default the local standard port). Every key of this run sits under its
// own prefix, deleted at the end, so runs and other suites sharing the server never meet.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `parley-test:${randomBytes(4).toString('hex')}:`;

describe('RedisStore', () => {
	let redis: Redis;
	const stores: RedisStore[] = [];

	beforeAll(async () => {
		redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
		await redis.connect();
	});
	afterAll(async () => {
		for (const s of stores) await s.close();
		const keys = await redis.keys(`${PREFIX}*`);
		if (keys.length > 0) await redis.del(...keys);
		await redis.quit();
	});

	keyValueContract('RedisStore', {
		store: () => {
			const s = new RedisStore(redis, PREFIX);
			stores.push(s);
			return s;
		},
		pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
	});

	it('puts every key under its prefix', async () => {
		const kv = new RedisStore(redis, PREFIX);
		await kv.set('plain', 'v', 10_000);
		expect(await redis.get(`${PREFIX}plain`)).toBe('v');
		expect(await redis.exists('plain')).toBe(0);
	});

	it('two prefixes on one server do not see each other', async () => {
		const a = new RedisStore(redis, `${PREFIX}a:`);
		const b = new RedisStore(redis, `${PREFIX}b:`);
		await a.set('k', 'a', 10_000);
		expect(await b.get('k')).toBeNull();
		expect(await b.setIfAbsent('k', 'b', 10_000)).toBe(true);
		expect(await a.take('k')).toBe('a');
		expect(await b.get('k')).toBe('b');
	});

	it('incr sets the TTL in Redis itself, so the count expires even if nobody reads it', async () => {
		const kv = new RedisStore(redis, PREFIX);
		await kv.incr('count', 5_000);
		const ttl = await redis.pttl(`${PREFIX}count`);
		expect(ttl).toBeGreaterThan(0);
		expect(ttl).toBeLessThanOrEqual(5_000);
	});

	it('close leaves the shared connection open', async () => {
		const kv = new RedisStore(redis, PREFIX);
		await kv.close();
		expect(await redis.ping()).toBe('PONG');
	});

	it('defaults to the parley: prefix', async () => {
		const kv = new RedisStore(redis);
		const key = `${PREFIX}default-prefix`;
		try {
			await kv.set(key, 'v', 10_000);
			expect(await redis.get(`parley:${key}`)).toBe('v');
		} finally {
			await redis.del(`parley:${key}`);
		}
	});
});
