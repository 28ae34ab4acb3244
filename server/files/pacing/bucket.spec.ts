import { describe, expect, it } from 'vitest';
import { MIN_BURST, refillMs, shapeFor, take, type BucketState } from './bucket.js';
import { MemoryBuckets } from './memory-bucket.js';

const MB = 1_000_000;

describe('token bucket arithmetic', () => {
	it('holds one second at least MIN_BURST', () => {
		expect(shapeFor(20 * MB)).toEqual({ rate: 20 * MB, burst: 20 * MB });
		expect(shapeFor(1000)).toEqual({ rate: 1000, burst: MIN_BURST });
		expect(refillMs(shapeFor(1000))).toBe(Math.ceil((MIN_BURST * 1000) / 1000));
	});

	it('starts full and grants a whole burst at once, no more', () => {
		const shape = shapeFor(MB);
		const { state, grant } = take(shape, undefined, 5_000, 3 * MB);
		expect(grant.granted).toBe(MB);
		expect(state).toEqual({ tokens: 0, at: 5_000 });
		// What was asked beyond a burst is not owed: it is asked for again.
		expect(grant.waitMs).toBe(0);
		expect(take(shape, state, 5_000, 3 * MB).grant).toEqual({ granted: 0, waitMs: 1000 });
	});

	it('refills by the time passed, up to the burst, and grants partly with the wait for the rest', () => {
		const shape = shapeFor(MB);
		const empty: BucketState = { tokens: 0, at: 0 };
		const after = take(shape, empty, 250, 400_000);
		expect(after.grant).toEqual({ granted: 250_000, waitMs: 150 });
		expect(after.state).toEqual({ tokens: 0, at: 250 });
		// Long idle: full, not more.
		expect(take(shape, empty, 60_000, 2 * MB).grant.granted).toBe(MB);
	});

	it('keeps fractions of a token for later and never grants a fraction', () => {
		const shape = shapeFor(1000); // one byte per ms
		const half: BucketState = { tokens: 0.5, at: 0 };
		const { state, grant } = take(shape, half, 2, 10);
		expect(grant.granted).toBe(2);
		expect(state.tokens).toBeCloseTo(0.5);
		expect(grant.waitMs).toBe(Math.ceil((8 - 0.5) * 1)); // 8 missing, half a token there
	});

	it('refills nothing when the clock goes back, and keeps the later time', () => {
		const shape = shapeFor(MB);
		const { state, grant } = take(shape, { tokens: 10, at: 1_000 }, 500, 100);
		expect(grant.granted).toBe(10);
		expect(state.at).toBe(1_000);
	});

	it('grants nothing for nothing asked, without a wait', () => {
		expect(take(shapeFor(MB), { tokens: 0, at: 0 }, 0, 0).grant).toEqual({ granted: 0, waitMs: 0 });
	});
});

describe('MemoryBuckets', () => {
	it('keeps one bucket per key and forgets those full again', () => {
		let now = 0;
		const buckets = new MemoryBuckets(shapeFor(MIN_BURST), () => now);
		expect(buckets.take('a', MIN_BURST).granted).toBe(MIN_BURST);
		expect(buckets.take('a', 1).granted).toBe(0);
		// Another key has a bucket of its own.
		expect(buckets.take('b', 10).granted).toBe(10);
		expect(buckets.size).toBe(2);
		now = 1000; // a full second: both full again
		expect(buckets.take('c', 1).granted).toBe(1);
		expect(buckets.size).toBe(1);
		expect(buckets.take('a', MIN_BURST).granted).toBe(MIN_BURST);
	});
});
