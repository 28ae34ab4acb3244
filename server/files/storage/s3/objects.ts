import { Readable } from 'node:stream';
import type { S3 } from '@aws-sdk/client-s3';
import type { StoredFile } from '../../crypto/stored.js';
import { notThere } from '../types.js';

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
 */
export async function openObject(s3: S3, bucket: string, key: string, what: string): Promise<StoredFile> {
	let size: number;
	try {
		size = (await s3.headObject({ Bucket: bucket, Key: key })).ContentLength ?? 0;
	} catch (error) {
		throw isMissing(error) ? notThere(what) : error;
	}
	const file: StoredFile = {
		path: `s3://${bucket}/${key}`,
		size,
		encrypted: false,
		async *read(start, end) {
			end = Math.min(end, size - 1);
			if (end < start) return;
			const { Body } = await s3.getObject({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` });
			if (!Body) throw new Error(`S3 gave no body for ${what}`);
			let got = 0;
			for await (const chunk of Body as AsyncIterable<Uint8Array>) {
				for (let at = 0; at < chunk.length; at += PIECE) {
					const piece = Buffer.from(chunk.buffer, chunk.byteOffset + at, Math.min(PIECE, chunk.length - at));
					got += piece.length;
					yield piece;
				}
			}
			// An object replaced or cut in between is no file to serve a wrong byte of.
			if (got !== end - start + 1) throw new Error(`S3 gave ${got} bytes of ${what} for the range ${start}-${end}`);
		},
		stream: () => Readable.from(size > 0 ? file.read(0, size - 1) : [], { objectMode: false, highWaterMark: PIECE }),
		close: async () => undefined
	};
	return file;
}

/** A small object read whole, as a StoredFile. */
export function bufferFile(bytes: Buffer, path: string): StoredFile {
	const file: StoredFile = {
		path,
		size: bytes.length,
		encrypted: false,
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
