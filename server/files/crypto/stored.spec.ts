import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EncryptedAppender, recoverRedo } from './appender.js';
import { CHUNK_SIZE, chunkOffset, DecryptError, encryptBuffer, encryptChunk, HEADER_SIZE, MasterKey, NONCE_BYTES, storedSize } from './format.js';
import { openStored, readAll, storedPlainSize } from './stored.js';

// Real files in a temporary directory: the reader and the appender are about positions on disk.
const key = new MasterKey(randomBytes(32));
let dir: string;
beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-crypto-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function range(file: string, start: number, end: number): Promise<Buffer> {
	const stored = await openStored(file, { key });
	try {
		const parts: Buffer[] = [];
		for await (const part of stored.read(start, end)) parts.push(part);
		return Buffer.concat(parts);
	} finally {
		await stored.close();
	}
}

describe('openStored', () => {
	it('reads exactly the bytes of any range, across chunk boundaries and within one chunk', async () => {
		const plain = randomBytes(20 * CHUNK_SIZE + 12345);
		const file = path.join(dir, 'f');
		fs.writeFileSync(file, encryptBuffer(key, plain));
		const size = plain.length;
		const C = CHUNK_SIZE;
		for (const [start, end] of [
			[0, size - 1],
			[0, 0],
			[C - 1, C],
			[C - 10, 3 * C + 10],
			[5, 100],
			[2 * C, 3 * C - 1],
			[size - 1, size - 1],
			[size - 12345, size - 1],
			[7 * C + 3, 19 * C + 4]
		]) {
			expect((await range(file, start, end)).equals(plain.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
		}
		expect(await storedPlainSize(file)).toBe(size);
	});

	it('a flipped bit on disk ends the read with a DecryptError', async () => {
		const plain = randomBytes(3 * CHUNK_SIZE);
		const file = path.join(dir, 'f');
		const stored = encryptBuffer(key, plain);
		stored[chunkOffset(2) + 100] ^= 0x04;
		fs.writeFileSync(file, stored);
		expect((await range(file, 0, CHUNK_SIZE - 1)).equals(plain.subarray(0, CHUNK_SIZE))).toBe(true);
		await expect(range(file, 0, plain.length - 1)).rejects.toThrow(/chunk 2 of the file failed authentication/);
	});

	it('with a key, a clear file is read only when its size or first bytes vouch for it; without one, every file is clear', async () => {
		const clear = path.join(dir, 'clear');
		fs.writeFileSync(clear, Buffer.from('RIFF1234WEBP and more'));
		await expect(openStored(clear, { key })).rejects.toThrow(DecryptError);
		for (const options of [{ key, clearSize: 21 }, { key, clearPrefix: Buffer.from('RIFF') }, { key: undefined }]) {
			const file = await openStored(clear, options);
			expect((await readAll(file)).toString()).toBe('RIFF1234WEBP and more');
			await file.close();
		}
		const secret = path.join(dir, 'secret');
		const stored = encryptBuffer(key, Buffer.from('x'));
		fs.writeFileSync(secret, stored);
		const raw = await openStored(secret, { key: undefined });
		expect(raw.encrypted).toBe(false);
		expect(await readAll(raw)).toEqual(stored);
		await raw.close();
	});
});

describe('EncryptedAppender', () => {
	async function append(file: string, offset: number, pieces: Buffer[]): Promise<number> {
		const handle = await fsp.open(file, 'r+');
		try {
			const appender = await EncryptedAppender.open({ handle, key, offset, onDisk: (await handle.stat()).size, what: 'the upload', redo: `${file}.redo` });
			for (const piece of pieces) await appender.write(piece);
			return await appender.finish();
		} finally {
			await handle.close();
		}
	}

	it('writes an upload in PATCHes that end mid-chunk: a partial chunk is encrypted, resumed under a fresh nonce, and the whole reads back', async () => {
		const plain = Buffer.alloc(3 * CHUNK_SIZE + 777, 'known plaintext ');
		const file = path.join(dir, 'upload');
		fs.writeFileSync(file, '');
		const cuts = [0, 1000, 1001, CHUNK_SIZE + 5, 2 * CHUNK_SIZE, plain.length];
		let nonceBefore: Buffer | undefined;
		for (let i = 1; i < cuts.length; i++) {
			const body = plain.subarray(cuts[i - 1], cuts[i]);
			// In uneven pieces, as a socket delivers them.
			const pieces = [body.subarray(0, 3), body.subarray(3, 40_000), body.subarray(40_000)];
			expect(await append(file, cuts[i - 1], pieces)).toBe(cuts[i]);
			const onDisk = fs.readFileSync(file);
			expect(onDisk.length).toBe(storedSize(cuts[i]));
			expect(onDisk.includes(Buffer.from('known plain'))).toBe(false);
			expect(await storedPlainSize(file)).toBe(cuts[i]);
			expect(fs.existsSync(`${file}.redo`)).toBe(false);
			if (i === 2) {
				// 1001 bytes: chunk 0 again, longer, under a new nonce.
				expect(onDisk.subarray(chunkOffset(0), chunkOffset(0) + NONCE_BYTES).equals(nonceBefore!)).toBe(false);
			}
			nonceBefore = Buffer.from(onDisk.subarray(chunkOffset(0), chunkOffset(0) + NONCE_BYTES));
		}
		expect((await range(file, 0, plain.length - 1)).equals(plain)).toBe(true);
	});

	it('refuses an offset other than where the plaintext ends', async () => {
		const file = path.join(dir, 'upload');
		fs.writeFileSync(file, '');
		await append(file, 0, [randomBytes(100)]);
		await expect(append(file, 50, [randomBytes(10)])).rejects.toThrow(/holds 100 bytes, not 50/);
	});

	it('a rewrite of the partial chunk cut off by a dead process (new tail written, old chunk not yet overwritten) is replayed from its redo record', async () => {
		const plain = randomBytes(CHUNK_SIZE + 5000);
		const file = path.join(dir, 'upload');
		fs.writeFileSync(file, '');
		await append(file, 0, [plain.subarray(0, CHUNK_SIZE + 1000)]);
		expect(fs.existsSync(`${file}.redo`)).toBe(false);
		// What the appender does for the next 4000 bytes, stopped after the new tail: the chunk is torn.
		const fileKey = key.openHeader(fs.readFileSync(file).subarray(0, HEADER_SIZE));
		const stored = encryptChunk(fileKey, 1, plain.subarray(CHUNK_SIZE));
		const at = chunkOffset(1);
		const record = Buffer.alloc(8 + stored.length);
		record.writeBigUInt64BE(BigInt(at));
		stored.copy(record, 8);
		fs.writeFileSync(`${file}.redo`, record);
		const oldEnd = fs.statSync(file).size;
		const handle = await fsp.open(file, 'r+');
		await handle.write(stored.subarray(oldEnd - at), 0, stored.length - (oldEnd - at), oldEnd);
		await handle.close();
		await expect(range(file, 0, plain.length - 1)).rejects.toThrow(/chunk 1 of the file failed authentication/);

		expect(await recoverRedo(file)).toBe(true);
		expect(fs.existsSync(`${file}.redo`)).toBe(false);
		expect((await range(file, 0, plain.length - 1)).equals(plain)).toBe(true);
		expect(await recoverRedo(file)).toBe(false);
	});
});
