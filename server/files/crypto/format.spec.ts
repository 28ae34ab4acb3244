import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, chunkOffset, decryptBuffer, decryptChunk, DecryptError, encryptBuffer, encryptChunk, HEADER_SIZE, MasterKey, plaintextSize, STORED_CHUNK_SIZE, storedSize } from './format.js';

const key = new MasterKey(randomBytes(32));

describe('sizes', () => {
	it('maps plaintext sizes to stored sizes and back, partial last chunk included', () => {
		for (const plain of [0, 1, 27, 28, 29, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5, 10 * CHUNK_SIZE]) {
			expect(plaintextSize(storedSize(plain)), String(plain)).toBe(plain);
			expect(encryptBuffer(key, randomBytes(plain)).length, String(plain)).toBe(storedSize(plain));
		}
		expect(storedSize(CHUNK_SIZE)).toBe(HEADER_SIZE + STORED_CHUNK_SIZE);
		expect(chunkOffset(2)).toBe(HEADER_SIZE + 2 * STORED_CHUNK_SIZE);
	});

	it('refuses sizes no encrypted file has: shorter than the header, or a last chunk of nonce and tag only', () => {
		expect(() => plaintextSize(HEADER_SIZE - 1)).toThrow(DecryptError);
		expect(() => plaintextSize(HEADER_SIZE + 28)).toThrow(/cut short/);
		expect(() => plaintextSize(HEADER_SIZE + STORED_CHUNK_SIZE + 5)).toThrow(DecryptError);
	});
});

describe('chunks', () => {
	it('round-trips, and stores none of the plaintext', () => {
		const plain = Buffer.alloc(3 * CHUNK_SIZE + 100, 'the quick brown fox ');
		const stored = encryptBuffer(key, plain);
		expect(stored.includes(Buffer.from('quick brown'))).toBe(false);
		expect(decryptBuffer(key, stored)).toEqual(plain);
	});

	it('uses a fresh nonce every time: the same chunk encrypts differently twice', () => {
		const fileKey = randomBytes(32);
		const plain = randomBytes(1000);
		const a = encryptChunk(fileKey, 0, plain);
		const b = encryptChunk(fileKey, 0, plain);
		expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
		expect(decryptChunk(fileKey, 0, a)).toEqual(plain);
		expect(decryptChunk(fileKey, 0, b)).toEqual(plain);
	});

	it('a flipped bit anywhere in a chunk is a DecryptError naming the chunk, never other bytes', () => {
		const plain = randomBytes(2 * CHUNK_SIZE + 10);
		const stored = encryptBuffer(key, plain);
		for (const at of [chunkOffset(1), chunkOffset(1) + 12, chunkOffset(1) + 5000, chunkOffset(2) - 1, stored.length - 1]) {
			const bad = Buffer.from(stored);
			bad[at] ^= 0x01;
			expect(() => decryptBuffer(key, bad, 'upload "x"'), String(at)).toThrow(/chunk \d of upload "x" failed authentication/);
		}
	});

	it('chunks swapped or moved within a file fail (the index is authenticated)', () => {
		const stored = encryptBuffer(key, randomBytes(2 * CHUNK_SIZE));
		const swapped = Buffer.concat([stored.subarray(0, HEADER_SIZE), stored.subarray(chunkOffset(1)), stored.subarray(chunkOffset(0), chunkOffset(1))]);
		expect(() => decryptBuffer(key, swapped)).toThrow(/chunk 0 of the file failed authentication/);
	});

	it('a chunk of another file fails under this file key', () => {
		const a = encryptBuffer(key, randomBytes(CHUNK_SIZE));
		const b = encryptBuffer(key, randomBytes(CHUNK_SIZE));
		expect(() => decryptBuffer(key, Buffer.concat([a.subarray(0, HEADER_SIZE), b.subarray(HEADER_SIZE)]))).toThrow(DecryptError);
	});
});

describe('header and master key', () => {
	it('another master key is told apart from damage', () => {
		const stored = encryptBuffer(key, Buffer.from('hello'));
		expect(() => decryptBuffer(new MasterKey(randomBytes(32)), stored)).toThrow(/another master key/);
		const bad = Buffer.from(stored);
		bad[40] ^= 0x80;
		expect(() => decryptBuffer(key, bad)).toThrow(/header of the file failed authentication/);
		const noMagic = Buffer.from(stored);
		noMagic[0] = 0;
		expect(() => decryptBuffer(key, noMagic)).toThrow(/no encryption header/);
	});

	it('rewrapping for a new key changes the header only; the data decrypts under the new key', () => {
		const plain = randomBytes(CHUNK_SIZE + 7);
		const stored = encryptBuffer(key, plain);
		const next = new MasterKey(randomBytes(32));
		const header = key.rewrap(stored.subarray(0, HEADER_SIZE), next);
		const rotated = Buffer.concat([header, stored.subarray(HEADER_SIZE)]);
		expect(decryptBuffer(next, rotated)).toEqual(plain);
		expect(() => decryptBuffer(key, rotated)).toThrow(/another master key/);
	});

	it('refuses a master key that is not 32 bytes', () => {
		expect(() => new MasterKey(randomBytes(16))).toThrow(/32 bytes/);
	});
});
