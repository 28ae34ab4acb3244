import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../server/kv/kv.js';

export interface StoreUnderTest {
	store(): KeyValueStore;
	/** Lets `ms` pass for the store (fake timers for memory, real time for Redis). */
	pass(ms: number): Promise<void>;
}

/**
 * The semantics every `KeyValueStore` promises (server/kv/kv.ts), one suite for each store, as
 * socket.io's Redis adapter runs one suite against every client. Keys are made unique per test.
 */
export function keyValueContract(name: string, subject: StoreUnderTest): void {
	let n = 0;
	const key = (label: string) => `contract:${Date.now().toString(36)}:${++n}:${label}`;

	describe(`${name}: KeyValueStore contract`, () => {
		it('get: null for a missing key, the value after set', async () => {
			const kv = subject.store();
			const k = key('get');
			expect(await kv.get(k)).toBeNull();
			await kv.set(k, 'one', 10_000);
			expect(await kv.get(k)).toBe('one');
			await kv.set(k, 'two', 10_000);
			expect(await kv.get(k)).toBe('two');
		});

		it('keeps values byte for byte', async () => {
			const kv = subject.store();
			const k = key('bytes');
			const value = JSON.stringify({ s: "' OR 1=1 -- <b>😀</b>\u0000\n" });
			await kv.set(k, value, 10_000);
			expect(await kv.get(k)).toBe(value);
			await kv.set(k, '', 10_000);
			expect(await kv.get(k)).toBe('');
		});

		it('set: the value is gone once its TTL has passed', async () => {
			const kv = subject.store();
			const k = key('ttl');
			await kv.set(k, 'v', 100);
			await subject.pass(250);
			expect(await kv.get(k)).toBeNull();
			expect(await kv.ttl(k)).toBeNull();
			expect(await kv.take(k)).toBeNull();
		});

		it('set: a second set restarts the TTL', async () => {
			const kv = subject.store();
			const k = key('reset-ttl');
			await kv.set(k, 'a', 100);
			await kv.set(k, 'b', 60_000);
			await subject.pass(250);
			expect(await kv.get(k)).toBe('b');
		});

		it('setIfAbsent: true and set when absent, false and unchanged when present', async () => {
			const kv = subject.store();
			const k = key('nx');
			expect(await kv.setIfAbsent(k, 'first', 10_000)).toBe(true);
			expect(await kv.setIfAbsent(k, 'second', 10_000)).toBe(false);
			expect(await kv.get(k)).toBe('first');
		});

		it('setIfAbsent: an expired key counts as absent', async () => {
			const kv = subject.store();
			const k = key('nx-expired');
			expect(await kv.setIfAbsent(k, 'first', 100)).toBe(true);
			await subject.pass(250);
			expect(await kv.setIfAbsent(k, 'second', 10_000)).toBe(true);
			expect(await kv.get(k)).toBe('second');
		});

		it('setIfAbsent: of many concurrent callers exactly one wins', async () => {
			const kv = subject.store();
			const k = key('nx-race');
			const results = await Promise.all(Array.from({ length: 20 }, (_, i) => kv.setIfAbsent(k, String(i), 10_000)));
			expect(results.filter(Boolean)).toHaveLength(1);
			expect(await kv.get(k)).toBe(String(results.indexOf(true)));
		});

		it('take: returns the value once and deletes it', async () => {
			const kv = subject.store();
			const k = key('take');
			await kv.set(k, 'ticket', 10_000);
			expect(await kv.take(k)).toBe('ticket');
			expect(await kv.take(k)).toBeNull();
			expect(await kv.get(k)).toBeNull();
			expect(await kv.take(key('never'))).toBeNull();
		});

		it('take: of many concurrent takers exactly one gets the value', async () => {
			const kv = subject.store();
			const k = key('take-race');
			await kv.set(k, 'only-once', 10_000);
			const results = await Promise.all(Array.from({ length: 20 }, () => kv.take(k)));
			expect(results.filter((r) => r !== null)).toEqual(['only-once']);
		});

		it('incr: counts from 1', async () => {
			const kv = subject.store();
			const k = key('incr');
			expect(await kv.incr(k, 10_000)).toBe(1);
			expect(await kv.incr(k, 10_000)).toBe(2);
			expect(await kv.incr(k, 10_000)).toBe(3);
			expect(await kv.get(k)).toBe('3');
		});

		it('incr: concurrent increments are all counted', async () => {
			const kv = subject.store();
			const k = key('incr-race');
			const results = await Promise.all(Array.from({ length: 25 }, () => kv.incr(k, 10_000)));
			expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
		});

		it('incr: the TTL is set when the key is created and not extended by later increments', async () => {
			const kv = subject.store();
			const k = key('incr-ttl');
			await kv.incr(k, 200);
			await subject.pass(120);
			// Had this increment restarted the clock, the key would outlive the next wait.
			expect(await kv.incr(k, 60_000)).toBe(2);
			await subject.pass(200);
			expect(await kv.get(k)).toBeNull();
			expect(await kv.incr(k, 10_000)).toBe(1);
		});

		it('ttl: null for a missing key, the milliseconds left otherwise', async () => {
			const kv = subject.store();
			const k = key('ttl-left');
			expect(await kv.ttl(k)).toBeNull();
			await kv.set(k, 'v', 60_000);
			const left = await kv.ttl(k);
			expect(left).toBeGreaterThan(50_000);
			expect(left).toBeLessThanOrEqual(60_000);
		});

		it('del: removes any number of keys, missing ones included, and none at all', async () => {
			const kv = subject.store();
			const [a, b, c] = [key('a'), key('b'), key('c')];
			await kv.set(a, '1', 10_000);
			await kv.set(b, '2', 10_000);
			await kv.set(c, '3', 10_000);
			await kv.del(a, b, key('missing'));
			expect(await kv.get(a)).toBeNull();
			expect(await kv.get(b)).toBeNull();
			expect(await kv.get(c)).toBe('3');
			await kv.del();
			expect(await kv.get(c)).toBe('3');
		});
	});
}
