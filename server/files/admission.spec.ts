import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAdmission, RedisAdmission, type Admission } from './admission.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What both must do; `pair` gives two admissions standing for two gateways (one, for memory). */
function admissionContract(name: string, pair: () => [Admission, Admission]) {
	describe(name, () => {
		it('runs one creation per user at a time, and a failed one does not block the next', async () => {
			const [a, b] = pair();
			const user = `u${randomBytes(3).toString('hex')}`;
			let inside = 0;
			let most = 0;
			const log: number[] = [];
			const work = (n: number, fail = false) => async () => {
				inside++;
				most = Math.max(most, inside);
				await sleep(30);
				inside--;
				log.push(n);
				if (fail) throw new Error(`creation ${n} failed`);
				return n;
			};
			const results = await Promise.allSettled([a.serialize(user, work(1)), b.serialize(user, work(2, true)), a.serialize(user, work(3)), b.serialize(user, work(4))]);
			expect(most).toBe(1);
			expect(log.sort()).toEqual([1, 2, 3, 4]);
			expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
		});

		it("lets two users' creations run side by side", async () => {
			const [a, b] = pair();
			let inside = 0;
			let most = 0;
			const work = async () => {
				inside++;
				most = Math.max(most, inside);
				await sleep(200);
				inside--;
			};
			await Promise.all([a.serialize(`u${randomBytes(3).toString('hex')}`, work), b.serialize(`u${randomBytes(3).toString('hex')}`, work)]);
			expect(most).toBe(2);
		});

		it('sums the reservations of a user, wherever they were made, until they are released', async () => {
			const [a, b] = pair();
			const user = `u${randomBytes(3).toString('hex')}`;
			const other = `u${randomBytes(3).toString('hex')}`;
			await a.reserve(user, `${user}_1`, 100);
			await b.reserve(user, `${user}_2`, 20);
			await a.reserve(other, `${other}_1`, 5);
			expect(await a.reserved(user)).toBe(120);
			expect(await b.reserved(user)).toBe(120);
			expect(a.holds(`${user}_1`)).toBe(true);
			await a.release(user, `${user}_1`);
			expect(await b.reserved(user)).toBe(20);
			expect(a.holds(`${user}_1`)).toBe(false);
			await b.release(user, `${user}_2`);
			expect(await a.reserved(user)).toBe(0);
			expect(await a.reserved(other)).toBe(5);
		});
	});
}

admissionContract('MemoryAdmission', () => {
	const one = new MemoryAdmission();
	return [one, one];
});

// Real Redis (TEST_REDIS_URL, default the local standard port), two connections for two gateways,
// every key under this run's prefix and deleted at the end.
describe.skipIf(process.env.TEST_REDIS === '0')('RedisAdmission', () => {
	const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
	const prefix = `parley-test:${randomBytes(4).toString('hex')}:`;
	let one: Redis;
	let two: Redis;
	beforeAll(async () => {
		one = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
		two = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
		await Promise.all([one.connect(), two.connect()]);
	});
	afterAll(async () => {
		const keys = await one.keys(`${prefix}*`);
		if (keys.length > 0) await one.del(...keys);
		one.disconnect();
		two.disconnect();
	});

	admissionContract('two gateways', () => [new RedisAdmission({ redis: one, prefix }), new RedisAdmission({ redis: two, prefix })]);

	it('stops counting a reservation when its own expiry passes, though the user keeps reserving', async () => {
		const short = new RedisAdmission({ redis: one, prefix, reservationTtlMs: 300 });
		const long = new RedisAdmission({ redis: two, prefix });
		const user = `u${randomBytes(3).toString('hex')}`;
		await short.reserve(user, `${user}_dead`, 1000);
		await long.reserve(user, `${user}_live`, 7);
		expect(await long.reserved(user)).toBe(1007);
		await sleep(400);
		expect(await long.reserved(user)).toBe(7);
		expect(await one.hkeys(`${prefix}files:reserved:${user}`)).toEqual([`${user}_live`]);
	});

	it('frees the creation lock of a gateway that died holding it, after the lock TTL', async () => {
		const user = `u${randomBytes(3).toString('hex')}`;
		// As a dead gateway leaves it: the key with a token nobody will renew or delete.
		await one.set(`${prefix}files:creating:${user}`, 'dead-gateway', 'PX', 300);
		const started = Date.now();
		expect(await new RedisAdmission({ redis: two, prefix }).serialize(user, async () => 'in')).toBe('in');
		expect(Date.now() - started).toBeGreaterThanOrEqual(200);
	});
});
