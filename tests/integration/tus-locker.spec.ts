import { randomBytes } from 'node:crypto';
import { ERRORS } from '@tus/server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLocker } from '../../server/files/locker.js';
import { log } from '../../server/logger.js';
import { REDIS_URL } from '../helpers/backends.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The tus per-upload lock over real Redis, with two lockers standing for two gateways (each its own
 * connections, as two processes would have). `TEST_REDIS=0` (no Redis on the machine) skips it.
 */
describe.skipIf(process.env.TEST_REDIS === '0')('RedisLocker (two gateways on one Redis)', () => {
	const prefix = `parley-test:${randomBytes(4).toString('hex')}:`;
	const connections: Redis[] = [];
	const lockers: RedisLocker[] = [];

	async function gateway(options: { ttlMs?: number; acquireTimeoutMs?: number } = {}) {
		const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
		await redis.connect();
		connections.push(redis);
		const locker = new RedisLocker({ redis, prefix, ttlMs: options.ttlMs ?? 2_000, acquireTimeoutMs: options.acquireTimeoutMs ?? 10_000, log });
		lockers.push(locker);
		await locker.ready();
		return { redis, locker };
	}
	const open = () => new AbortController().signal;

	let a: RedisLocker;
	let b: RedisLocker;
	let probe: Redis;
	beforeAll(async () => {
		a = (await gateway()).locker;
		b = (await gateway()).locker;
		probe = (await gateway()).redis;
	});
	afterAll(async () => {
		for (const l of lockers) await l.close().catch(() => {});
		const keys = await probe.keys(`${prefix}*`);
		if (keys.length > 0) await probe.del(...keys);
		for (const r of connections) r.disconnect();
	});

	it('holds a lock as a key with a TTL, renewed while held, and deletes it on unlock', async () => {
		const id = `up-${randomBytes(4).toString('hex')}`;
		const lock = a.newLock(id);
		await lock.lock(open(), () => {});
		const key = `${prefix}tus:lock:${id}`;
		expect(await probe.get(key)).toMatch(/^[0-9a-f]{24}$/);
		const ttl = await probe.pttl(key);
		expect(ttl).toBeGreaterThan(0);
		expect(ttl).toBeLessThanOrEqual(2_000);
		// Held for longer than its TTL: renewals keep it.
		await sleep(3_000);
		expect(await probe.pttl(key)).toBeGreaterThan(0);
		await lock.unlock();
		expect(await probe.exists(key)).toBe(0);
	});

	it('lets one holder in at a time across gateways; the other gets in once it is released', async () => {
		const id = `up-${randomBytes(4).toString('hex')}`;
		const events: string[] = [];
		const first = a.newLock(id);
		// The holder does not let go when asked: mutual exclusion is all that is tested here.
		await first.lock(open(), () => void events.push('asked'));
		events.push('a locked');
		const second = b.newLock(id);
		const taking = second.lock(open(), () => {}).then(() => events.push('b locked'));
		await sleep(1_500);
		expect(events).not.toContain('b locked');
		expect(events).toContain('asked');
		// Marked before the unlock is sent: b may take the freed lock, and its `then` run, before the
		// unlock's own reply resumes this function (seen on a loaded CI machine).
		events.push('a unlocking');
		await first.unlock();
		await taking;
		expect(events.indexOf('b locked')).toBeGreaterThan(events.indexOf('a unlocking'));
		await second.unlock();
	});

	it('asks the holder on the other gateway to release, and takes over once it does', async () => {
		const id = `up-${randomBytes(4).toString('hex')}`;
		const held = a.newLock(id);
		let asked = 0;
		await held.lock(open(), async () => {
			// What tus's requestRelease leads to: the old request stops and unlocks.
			asked++;
			if (asked === 1) await held.unlock();
		});
		const started = Date.now();
		const taker = b.newLock(id);
		await taker.lock(open(), () => {});
		expect(asked).toBe(1);
		// Well under the 2 s TTL: it was handed over, not left to expire.
		expect(Date.now() - started).toBeLessThan(2_000);
		await taker.unlock();
	});

	it('gives up with tus ERR_LOCK_TIMEOUT when the holder keeps it, and when the request goes away', async () => {
		const id = `up-${randomBytes(4).toString('hex')}`;
		const slow = (await gateway({ acquireTimeoutMs: 800 })).locker;
		const held = a.newLock(id);
		await held.lock(open(), () => {});
		await expect(slow.newLock(id).lock(open(), () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
		const gone = new AbortController();
		const waiting = b.newLock(id).lock(gone.signal, () => {});
		setTimeout(() => gone.abort(), 200);
		await expect(waiting).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
		await held.unlock();
	});

	it('frees the lock of a gateway that died, about one TTL after its last renewal', async () => {
		const id = `up-${randomBytes(4).toString('hex')}`;
		const doomed = await gateway({ ttlMs: 1_000 });
		await doomed.locker.newLock(id).lock(open(), () => {});
		// The process dies: its connections drop, nothing renews, nobody answers release requests.
		doomed.redis.disconnect();
		await doomed.locker.close();
		const started = Date.now();
		const taker = b.newLock(id);
		await taker.lock(open(), () => {});
		const waited = Date.now() - started;
		expect(waited).toBeGreaterThan(200);
		expect(waited).toBeLessThan(8_000);
		await taker.unlock();
	});

	it('cancels a holder whose lock was taken from it (it had expired while it was stalled)', async () => {
		const id = `up-${randomBytes(4).toString('hex')}`;
		const stalled = await gateway({ ttlMs: 600 });
		let cancelled = false;
		await stalled.locker.newLock(id).lock(open(), () => void (cancelled = true));
		// Its lease is stolen as if it had expired during a pause and another gateway took it.
		await probe.set(`${prefix}tus:lock:${id}`, 'someone-else', 'PX', 10_000);
		for (let i = 0; i < 40 && !cancelled; i++) await sleep(50);
		expect(cancelled).toBe(true);
		expect(await probe.get(`${prefix}tus:lock:${id}`)).toBe('someone-else');
		await probe.del(`${prefix}tus:lock:${id}`);
	});
});
