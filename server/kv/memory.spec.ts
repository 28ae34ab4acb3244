import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keyValueContract } from '../../tests/helpers/kv-contract.js';
import { MemoryStore } from './memory.js';

describe('MemoryStore', () => {
	const stores: MemoryStore[] = [];
	const make = () => {
		const s = new MemoryStore();
		stores.push(s);
		return s;
	};
	beforeEach(() => {
		vi.useFakeTimers();
	});
	afterEach(async () => {
		for (const s of stores.splice(0)) await s.close();
		vi.useRealTimers();
	});

	keyValueContract('MemoryStore', {
		store: make,
		pass: async (ms) => {
			vi.advanceTimersByTime(ms);
		}
	});

	it('an entry lives until the last millisecond of its TTL and not a millisecond more', async () => {
		const kv = make();
		await kv.set('k', 'v', 1_000);
		vi.advanceTimersByTime(999);
		expect(await kv.get('k')).toBe('v');
		expect(await kv.ttl('k')).toBe(1);
		vi.advanceTimersByTime(1);
		expect(await kv.get('k')).toBeNull();
	});

	it('incr on an expired count starts again at 1 with a fresh TTL', async () => {
		const kv = make();
		await kv.incr('n', 100);
		await kv.incr('n', 100);
		vi.advanceTimersByTime(100);
		expect(await kv.incr('n', 500)).toBe(1);
		expect(await kv.ttl('n')).toBe(500);
	});

	it('close empties the store and stops its sweep timer', async () => {
		const kv = new MemoryStore();
		await kv.set('k', 'v', 60_000);
		const timers = vi.getTimerCount();
		await kv.close();
		expect(vi.getTimerCount()).toBe(timers - 1);
		expect(await kv.get('k')).toBeNull();
	});

	it('stores are independent of each other', async () => {
		const a = make();
		const b = make();
		await a.set('k', 'a', 60_000);
		expect(await b.get('k')).toBeNull();
	});
});
