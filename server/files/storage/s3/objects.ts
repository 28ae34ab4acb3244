import { Readable } from 'node:stream';
import type { S3 } from '@aws-sdk/client-s3';
import { CHUNK_SIZE, chunkOffset, decryptChunk, DecryptError, hasMagic, HEADER_SIZE, MAGIC, plaintextSize, STORED_CHUNK_SIZE } from '../../crypto/format.js';
import type { OpenOptions, StoredFile } from '../../crypto/stored.js';
import { notThere } from '../types.js';
import { collect, rechunk } from './pieces.js';

/** An S3 error that says the key (or the multipart upload) is not there. */
export function isMissing(error: unknown): boolean {
	const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | null;
	return !!e && (['NotFound', 'NoSuchKey', 'NoSuchUpload'].includes(e.name ?? '') || ['NoSuchKey', 'NoSuchUpload'].includes(e.Code ?? '') || e.$metadata?.httpStatusCode === 404);
}

/** Reads straight from S3 come in pieces of at most this many bytes each. */
const PIECE = 1024 * 1024;

/**
 * An object of the bucket as a StoredFile: its size from a HEAD, any byte range by a ranged GET
 * (only the bytes asked for cross the network). Rejects with code ENOENT when there is no such object.
 * With a key, an object in the encrypted format (its header read first) is decrypted as it is read;
 * one without the header is read clear only when `clearSize` vouches for it (stored before the key
 * was set), else it is a DecryptError.
 */
export async function openObject(s3: S3, bucket: string, key: string, what: string, read?: Pick<OpenOptions, 'key' | 'clearSize'>): Promise<StoredFile> {
	let size: number;
	try {
		size = (await s3.headObject({ Bucket: bucket, Key: key })).ContentLength ?? 0;
	} catch (error) {
		throw isMissing(error) ? notThere(what) : error;
	}
	const object = { s3, bucket, key, what };
	if (!read?.key) return clearObject(object, size);
	const head = size > 0 ? await collect(getBytes(object, 0, Math.min(size, HEADER_SIZE) - 1)) : Buffer.alloc(0);
	if (hasMagic(head)) return encryptedObject(object, read.key.openHeader(head, what), size);
	if (read.clearSize === size) return clearObject(object, size);
	throw new DecryptError(`${what} has no valid encryption header (${size} bytes stored, starting ${head.subarray(0, MAGIC.length).toString('hex')}): damaged`);
}

interface ObjectRef {
	s3: S3;
	bucket: string;
	key: string;
	what: string;
}

/** Stored bytes `start` … `end` (inclusive) as they come, checked to be all of them. */
async function* getBytes(object: ObjectRef, start: number, end: number): AsyncGenerator<Buffer> {
	const { Body } = await object.s3.getObject({ Bucket: object.bucket, Key: object.key, Range: `bytes=${start}-${end}` });
	if (!Body) throw new Error(`S3 gave no body for ${object.what}`);
	let got = 0;
	for await (const chunk of Body as AsyncIterable<Uint8Array>) {
		for (let at = 0; at < chunk.length; at += PIECE) {
			const piece = Buffer.from(chunk.buffer, chunk.byteOffset + at, Math.min(PIECE, chunk.length - at));
			got += piece.length;
			yield piece;
		}
	}
	// An object replaced or cut in between is no file to serve a wrong byte of.
	if (got !== end - start + 1) throw new Error(`S3 gave ${got} bytes of ${object.what} for the range ${start}-${end}`);
}

function clearObject(object: ObjectRef, size: number): StoredFile {
	const file: StoredFile = {
		path: `s3://${object.bucket}/${object.key}`,
		size,
		encrypted: false,
		async *read(start, end) {
			end = Math.min(end, size - 1);
			if (end < start) return;
			yield* getBytes(object, start, end);
		},
		stream: () => Readable.from(size > 0 ? file.read(0, size - 1) : [], { objectMode: false, highWaterMark: PIECE }),
		close: async () => undefined
	};
	return file;
}

/** An object in the encrypted format: a read GETs the stored range of the chunks it needs, in one request. */
function encryptedObject(object: ObjectRef, fileKey: Buffer, stored: number): StoredFile {
	const size = plaintextSize(stored, object.what);
	const file: StoredFile = {
		path: `s3://${object.bucket}/${object.key}`,
		size,
		encrypted: true,
		async *read(start, end) {
			end = Math.min(end, size - 1);
			if (end < start) return;
			let index = Math.floor(start / CHUNK_SIZE);
			const last = Math.floor(end / CHUNK_SIZE);
			const plainOf = (chunk: Buffer) => {
				const plain = decryptChunk(fileKey, index, chunk, object.what);
				const base = index++ * CHUNK_SIZE;
				return plain.subarray(Math.max(0, start - base), Math.min(plain.length, end - base + 1));
			};
			// The file's last chunk comes shorter.
			for await (const chunk of rechunk(getBytes(object, chunkOffset(index), Math.min(stored, chunkOffset(last + 1)) - 1), STORED_CHUNK_SIZE)) yield plainOf(chunk);
		},
		stream: () => Readable.from(size > 0 ? file.read(0, size - 1) : [], { objectMode: false, highWaterMark: PIECE }),
		close: async () => undefined
	};
	return file;
}

/** A small object's bytes and when it was stored, read whole; undefined when there is no such object. */
export async function getWhole(s3: S3, bucket: string, key: string): Promise<{ bytes: Buffer; modified: Date } | undefined> {
	try {
		const { Body, LastModified } = await s3.getObject({ Bucket: bucket, Key: key });
		return { bytes: Buffer.from((await Body?.transformToByteArray()) ?? []), modified: LastModified ?? new Date(0) };
	} catch (error) {
		if (isMissing(error)) return undefined;
		throw error;
	}
}

/** A small object read whole, as a StoredFile. */
export function bufferFile(bytes: Buffer, path: string, encrypted = false): StoredFile {
	const file: StoredFile = {
		path,
		size: bytes.length,
		encrypted,
		async *read(start, end) {
			if (start <= end && start < bytes.length) yield bytes.subarray(start, Math.min(end, bytes.length - 1) + 1);
		},
		stream: () => Readable.from(bytes.length > 0 ? [bytes] : [], { objectMode: false }),
		close: async () => undefined
	};
	return file;
}

/**
 * Every key under `prefix`, with when it was stored, page by page; with `shallow`, none under a
 * further `/` (the bucket's root without `thumbs/` and `avatars/`).
 */
export async function* listKeys(s3: S3, bucket: string, prefix: string, shallow = false): AsyncGenerator<{ key: string; modified: number }> {
	let token: string | undefined;
	do {
		const page = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, ...(shallow ? { Delimiter: '/' } : {}) });
		for (const item of page.Contents ?? []) if (item.Key) yield { key: item.Key, modified: item.LastModified?.getTime() ?? 0 };
		token = page.IsTruncated ? page.NextContinuationToken : undefined;
	} while (token);
}
