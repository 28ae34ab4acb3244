import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Bucket, Grant } from './bucket.js';
import { paced, Pacer } from './pacer.js';

/** A bucket answering from a script of grants (then all it is asked), recording the asks. */
function scripted(burst: number, grants: Grant[] = []): Bucket & { asks: number[]; at: number[] } {
	const asks: number[] = [];
	const at: number[] = [];
	return {
		shape: { rate: burst, burst },
		asks,
		at,
		async take(want) {
			asks.push(want);
			at.push(Date.now());
			return grants.shift() ?? { granted: want, waitMs: 0 };
		}
	};
}

async function through(pacer: Pacer, chunks: Buffer[]): Promise<Buffer> {
	const out: Buffer[] = [];
	await pipeline(
		Readable.from(chunks),
		pacer,
		new Writable({
			write(chunk: Buffer, _e, callback) {
				out.push(chunk);
				callback();
			}
		})
	);
	return Buffer.concat(out);
}

afterEach(() => {
	vi.useRealTimers();
});

describe('Pacer', () => {
	it('passes every byte in order, asking each bucket at most a burst at a time', async () => {
		const a = scripted(1000);
		const data = Buffer.from(Array.from({ length: 2500 }, (_, i) => i % 251));
		expect((await through(new Pacer([a]), [data.subarray(0, 1700), data.subarray(1700)])).equals(data)).toBe(true);
		expect(Math.max(...a.asks)).toBe(1000);
		expect(a.asks.reduce((s, n) => s + n, 0)).toBe(2500);
	});

	it("keeps one bucket's grant as credit while the other has none, and waits as the short one says", async () => {
		vi.useFakeTimers();
		const user = scripted(100);
		const node = scripted(100, [{ granted: 0, waitMs: 40 }, { granted: 30, waitMs: 23 }]);
		const start = Date.now();
		const done = through(new Pacer([user, node]), [Buffer.alloc(100, 7)]);
		await vi.advanceTimersByTimeAsync(1000);
		expect((await done).equals(Buffer.alloc(100, 7))).toBe(true);
		// The user's 100 were granted once and covered the rest as credit: only the node was asked again,
		// not before the 40 ms its first answer ("nothing") named; then 30, then the last 70.
		expect(user.asks).toEqual([100]);
		expect(node.asks).toEqual([100, 100, 70]);
		expect(node.at[1] - start).toBeGreaterThanOrEqual(40);
	});

	it('leaves no timer behind when destroyed while waiting', async () => {
		vi.useFakeTimers();
		const never: Bucket = { shape: { rate: 1, burst: 10 }, take: async () => ({ granted: 0, waitMs: 60_000 }) };
		const pacer = new Pacer([never]);
		pacer.write(Buffer.alloc(5));
		await vi.advanceTimersByTimeAsync(1);
		expect(vi.getTimerCount()).toBe(1);
		pacer.destroy();
		expect(vi.getTimerCount()).toBe(0);
	});

	it('lets the bytes through when a bucket throws (never fails a transfer)', async () => {
		const broken: Bucket = {
			shape: { rate: 1, burst: 10 },
			take: async () => {
				throw new Error('down');
			}
		};
		expect((await through(new Pacer([broken]), [Buffer.alloc(50, 1)])).length).toBe(50);
	});

	it('ends its source when it is destroyed (a closed request stops being read)', async () => {
		const source = new Readable({ read() {} });
		const pacer = new Pacer([scripted(10)]);
		const out = paced(source, pacer);
		out.destroy();
		await new Promise((resolve) => setImmediate(resolve));
		expect(source.destroyed).toBe(true);
	});
});
