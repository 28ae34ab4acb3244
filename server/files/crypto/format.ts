import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The format of a file encrypted at rest (FILES_ENCRYPTION_KEY; docs/ARCHITECTURE.md):
 *
 *     header (80 bytes)  magic "PRLYENC1" | version 1 | 3 zero bytes | key id (8) |
 *                        wrap nonce (12) | file key wrapped by the master key (32) | tag (16)
 *     chunk 0            nonce (12) | ciphertext of plaintext bytes 0 … 65535 | tag (16)
 *     chunk 1            …
 *     last chunk         may be shorter (1 … 65536 plaintext bytes): the upload so far
 *
 * Every file has a random 256-bit key of its own, wrapped with AES-256-GCM by the master key (the
 * header's first 20 bytes are the wrap's additional data, so the key id and version cannot be
 * changed either). Each chunk is AES-256-GCM under the file key with a fresh random nonce and its
 * index (8 bytes, big-endian) as additional data: a chunk moved to another place of the file fails,
 * and a chunk of another file fails under this file's key. A key rotation rewrites the header only.
 * Plaintext offsets map to stored offsets by arithmetic alone, so a Range or a resume reads only the
 * chunks it needs.
 */

export const MAGIC = Buffer.from('PRLYENC1', 'ascii');
export const VERSION = 1;
export const KEY_ID_BYTES = 8;
export const HEADER_SIZE = 80;
export const CHUNK_SIZE = 64 * 1024;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** What each stored chunk adds to its plaintext: nonce and tag. */
export const CHUNK_OVERHEAD = NONCE_BYTES + TAG_BYTES;
export const STORED_CHUNK_SIZE = CHUNK_SIZE + CHUNK_OVERHEAD;

const WRAP_AAD_BYTES = 20;
const WRAP_NONCE_AT = 20;
const WRAPPED_AT = 32;
const WRAP_TAG_AT = 64;

/** Bytes on disk that do not decrypt: damaged, changed, cut short, or under another key. */
export class DecryptError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'DecryptError';
	}
}

/** The master key (FILES_ENCRYPTION_KEY): wraps and unwraps each file's key. */
export class MasterKey {
	/** A short fingerprint of the key, stored in every header: tells "another key" from "damaged". */
	readonly id: Buffer;

	constructor(readonly key: Buffer) {
		if (key.length !== 32) throw new Error(`a master key has 32 bytes, not ${key.length}`);
		this.id = createHash('sha256').update('parley files key id\0').update(key).digest().subarray(0, KEY_ID_BYTES);
	}

	/** A new file's header and its (unwrapped) file key. */
	newHeader(): { header: Buffer; fileKey: Buffer } {
		const fileKey = randomBytes(32);
		return { header: this.#wrap(fileKey), fileKey };
	}

	/** The file key in `header`; a DecryptError when the header is not ours, damaged, or of another key. */
	openHeader(header: Buffer, what = 'the file'): Buffer {
		if (header.length < HEADER_SIZE || !header.subarray(0, MAGIC.length).equals(MAGIC)) throw new DecryptError(`${what} has no encryption header (damaged or not encrypted)`);
		if (header[8] !== VERSION) throw new DecryptError(`${what} has encryption format version ${header[8]}; this server reads version ${VERSION}`);
		const keyId = header.subarray(12, 12 + KEY_ID_BYTES);
		if (!keyId.equals(this.id)) throw new DecryptError(`${what} was encrypted with another master key (key id ${keyId.toString('hex')}, this one is ${this.id.toString('hex')})`);
		try {
			const decipher = createDecipheriv('aes-256-gcm', this.key, header.subarray(WRAP_NONCE_AT, WRAPPED_AT));
			decipher.setAAD(header.subarray(0, WRAP_AAD_BYTES));
			decipher.setAuthTag(header.subarray(WRAP_TAG_AT, HEADER_SIZE));
			return Buffer.concat([decipher.update(header.subarray(WRAPPED_AT, WRAP_TAG_AT)), decipher.final()]);
		} catch {
			throw new DecryptError(`the encryption header of ${what} failed authentication (damaged on disk)`);
		}
	}

	/** `header` (this key's) wrapped again by `next`, for a key rotation: the data stays as it is. */
	rewrap(header: Buffer, next: MasterKey): Buffer {
		return next.#wrap(this.openHeader(header));
	}

	#wrap(fileKey: Buffer): Buffer {
		const header = Buffer.alloc(HEADER_SIZE);
		MAGIC.copy(header, 0);
		header[8] = VERSION;
		this.id.copy(header, 12);
		const nonce = randomBytes(NONCE_BYTES);
		nonce.copy(header, WRAP_NONCE_AT);
		const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
		cipher.setAAD(header.subarray(0, WRAP_AAD_BYTES));
		Buffer.concat([cipher.update(fileKey), cipher.final()]).copy(header, WRAPPED_AT);
		cipher.getAuthTag().copy(header, WRAP_TAG_AT);
		return header;
	}
}

/** True when `bytes` begin like an encrypted file. */
export function hasMagic(bytes: Buffer): boolean {
	return bytes.length >= MAGIC.length && bytes.subarray(0, MAGIC.length).equals(MAGIC);
}

function chunkAad(index: number): Buffer {
	const aad = Buffer.alloc(8);
	aad.writeBigUInt64BE(BigInt(index));
	return aad;
}

/** Chunk `index` of a file (1 … CHUNK_SIZE plaintext bytes), as stored: nonce, ciphertext, tag. A fresh nonce every call. */
export function encryptChunk(fileKey: Buffer, index: number, plain: Buffer): Buffer {
	if (plain.length === 0 || plain.length > CHUNK_SIZE) throw new Error(`a chunk holds 1 to ${CHUNK_SIZE} bytes, not ${plain.length}`);
	const nonce = randomBytes(NONCE_BYTES);
	const cipher = createCipheriv('aes-256-gcm', fileKey, nonce);
	cipher.setAAD(chunkAad(index));
	const body = Buffer.concat([cipher.update(plain), cipher.final()]);
	return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** The plaintext of stored chunk `index`; a DecryptError naming the chunk when it does not authenticate. */
export function decryptChunk(fileKey: Buffer, index: number, stored: Buffer, what = 'the file'): Buffer {
	if (stored.length <= CHUNK_OVERHEAD || stored.length > STORED_CHUNK_SIZE) throw new DecryptError(`chunk ${index} of ${what} is ${stored.length} bytes on disk: cut short or damaged`);
	try {
		const decipher = createDecipheriv('aes-256-gcm', fileKey, stored.subarray(0, NONCE_BYTES));
		decipher.setAAD(chunkAad(index));
		decipher.setAuthTag(stored.subarray(stored.length - TAG_BYTES));
		return Buffer.concat([decipher.update(stored.subarray(NONCE_BYTES, stored.length - TAG_BYTES)), decipher.final()]);
	} catch {
		throw new DecryptError(`chunk ${index} of ${what} failed authentication: the bytes on disk were changed or damaged`);
	}
}

/** Where chunk `index` starts on disk. */
export function chunkOffset(index: number): number {
	return HEADER_SIZE + index * STORED_CHUNK_SIZE;
}

/** The plaintext size of an encrypted file of `stored` bytes; a DecryptError when no file of ours has that size. */
export function plaintextSize(stored: number, what = 'the file'): number {
	if (stored < HEADER_SIZE) throw new DecryptError(`${what} is ${stored} bytes on disk, shorter than its encryption header`);
	const body = stored - HEADER_SIZE;
	const full = Math.floor(body / STORED_CHUNK_SIZE);
	const rest = body % STORED_CHUNK_SIZE;
	if (rest === 0) return full * CHUNK_SIZE;
	if (rest <= CHUNK_OVERHEAD) throw new DecryptError(`${what} ends in a chunk of ${rest} bytes on disk: cut short or damaged`);
	return full * CHUNK_SIZE + rest - CHUNK_OVERHEAD;
}

/** The stored size of `plain` plaintext bytes. */
export function storedSize(plain: number): number {
	const rest = plain % CHUNK_SIZE;
	return HEADER_SIZE + Math.floor(plain / CHUNK_SIZE) * STORED_CHUNK_SIZE + (rest === 0 ? 0 : rest + CHUNK_OVERHEAD);
}

/** A whole small file (a thumbnail, a picture, the key check) encrypted in memory. */
export function encryptBuffer(key: MasterKey, plain: Buffer): Buffer {
	const { header, fileKey } = key.newHeader();
	const parts = [header];
	for (let i = 0; i * CHUNK_SIZE < plain.length; i++) parts.push(encryptChunk(fileKey, i, plain.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)));
	return Buffer.concat(parts);
}

/** The plaintext of a whole file encrypted by `encryptBuffer` (or any file of this format). */
export function decryptBuffer(key: MasterKey, stored: Buffer, what = 'the file'): Buffer {
	const fileKey = key.openHeader(stored, what);
	const size = plaintextSize(stored.length, what);
	const parts: Buffer[] = [];
	for (let i = 0; i * CHUNK_SIZE < size; i++) parts.push(decryptChunk(fileKey, i, stored.subarray(chunkOffset(i), Math.min(stored.length, chunkOffset(i + 1))), what));
	return Buffer.concat(parts);
}
