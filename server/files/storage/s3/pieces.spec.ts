import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { collect, rechunk } from './pieces.js';

async function* from(parts: Buffer[]) {
	yield* parts;
}

it('cuts any inputs into pieces of exactly the size, the last shorter, the bytes unchanged', async () => {
	for (const sizes of [[1], [10, 3, 7], [64, 64], [5, 200, 1, 1, 90], [300], []]) {
		const parts = sizes.map((n) => randomBytes(n));
		const out: Buffer[] = [];
		for await (const piece of rechunk(from(parts), 64)) out.push(piece);
		const all = Buffer.concat(parts);
		expect(Buffer.concat(out).equals(all)).toBe(true);
		expect(out.slice(0, -1).every((p) => p.length === 64)).toBe(true);
		if (out.length > 0) expect(out.at(-1)!.length).toBe(all.length - 64 * (out.length - 1));
		expect(out.every((p) => p.length > 0)).toBe(true);
		expect(await collect(from(parts))).toEqual(all);
	}
});

it('hands out a piece that lies within one input as a view of it, not a copy', async () => {
	const input = randomBytes(1000);
	const out: Buffer[] = [];
	for await (const piece of rechunk(from([input]), 100)) out.push(piece);
	expect(out).toHaveLength(10);
	expect(out.every((p) => p.buffer === input.buffer)).toBe(true);
});
