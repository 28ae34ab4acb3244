import type fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Part } from '@aws-sdk/client-s3';
import type { MetadataValue } from '@tus/s3-store';
import { ERRORS, Upload } from '@tus/server';
import { CHUNK_SIZE, decryptChunk, DecryptError, encryptChunk, HEADER_SIZE, type MasterKey, plaintextSize, STORED_CHUNK_SIZE } from '../../crypto/format.js';
import { collect, rechunk } from './pieces.js';
import type { ParleyS3StoreClass } from './store.js';

/**
 * `.part` chunks are numbered from here in their additional data: a chunk of an unfinished upload's
 * `.part` cannot stand in for a chunk of the object, nor the reverse.
 */
const PART_AAD_BASE = 2 ** 40;

/** Parley's S3 store (loaded: see store.ts) with encryption at rest on top. */
export function encryptedS3StoreClass(Base: ParleyS3StoreClass) {
	/**
	 * tus's S3 store with the bytes encrypted at rest (FILES_ENCRYPTION_KEY), in the local disk's format
	 * (crypto/format.ts), so a finished object `<id>` is read by the same arithmetic:
	 * - the header (the file key wrapped by the master key) is made with the upload's record (its
	 *   `storage.header`), so every part can be encrypted without reading part 1 back;
	 * - the bytes are cut into parts here (the parent cuts them in plaintext temporary files): each part
	 *   but the last holds whole 64 KiB chunks, numbered from its plaintext offset, part 1 after the header.
	 *   S3 parts cannot be rewritten, so a PATCH never ends mid-chunk in the object: the tail waits in `.part`;
	 * - `.part` is encrypted too (its own chunk numbers) and read back into memory, never into a file;
	 * - offsets are plaintext sizes, worked out from the stored sizes of the parts and the `.part`.
	 * An upload whose record has no header (begun in clear, before the key was set) goes on in clear.
	 * Nothing plaintext is written anywhere: parts are encrypted in memory (at most one part, 8 MiB for
	 * any upload below 80 GB, per upload being written).
	 */
	return class EncryptedS3Store extends Base {
		readonly #key: MasterKey;

		constructor(options: ConstructorParameters<ParleyS3StoreClass>[0] & { key: MasterKey }) {
			super(options);
			this.#key = options.key;
		}

		/** Called at creation only (no `creation-defer-length`): the new upload gets its header here. */
		protected override async saveMetadata(upload: Upload, uploadId: string): Promise<void> {
			const storage = upload.storage as (Upload['storage'] & { header?: string }) | undefined;
			if (storage && !storage.header) storage.header = this.#key.newHeader().header.toString('base64');
			await super.saveMetadata(upload, uploadId);
		}

		/** The upload's header, or undefined for an upload stored in clear. */
		#header(metadata: MetadataValue): Buffer | undefined {
			const header = (metadata.file.storage as { header?: string } | undefined)?.header;
			return header === undefined ? undefined : Buffer.from(header, 'base64');
		}

		#fileKey(header: Buffer, id: string): Buffer {
			return this.#key.openHeader(header, `upload "${id}"`);
		}

		/** Whole chunks per part: part edges are chunk edges. */
		protected override calcOptimalPartSize(size?: number): number {
			return Math.ceil(super.calcOptimalPartSize(size) / CHUNK_SIZE) * CHUNK_SIZE;
		}

		protected override async uploadParts(metadata: MetadataValue, readStream: Readable, currentPartNumber: number, offset: number): Promise<number> {
			const header = this.#header(metadata);
			if (!header) return super.uploadParts(metadata, readStream, currentPartNumber, offset);
			const { id, size } = metadata.file;
			// The listed parts hold whole chunks (a `.part`'s bytes come first in `readStream`).
			if (offset % CHUNK_SIZE !== 0) throw new DecryptError(`upload "${id}" has parts that end mid-chunk (at ${offset})`);
			const fileKey = this.#fileKey(header, id);
			const partSize = this.calcOptimalPartSize(size);
			let stored = 0;
			const send = async (plain: Buffer) => {
				const chunks = encryptChunks(fileKey, plain, offset / CHUNK_SIZE);
				await this.uploadPart(metadata, Buffer.concat(currentPartNumber === 1 ? [header, ...chunks] : chunks), currentPartNumber);
				currentPartNumber++;
				offset += plain.length;
				stored += plain.length;
			};
			let rest: Buffer = Buffer.alloc(0);
			// One part at a time: a part is sent once it is whole, the next waits (the request is paced anyway).
			for await (const piece of rechunk(readStream, partSize)) {
				if (piece.length === partSize) await send(piece);
				else rest = piece;
			}
			if (rest.length === 0) return stored;
			if (offset + rest.length === size) {
				await send(rest);
				return stored;
			}
			// The request ended short of a part: whole chunks go as a part when S3 takes one that small, the
			// rest waits in `.part` for the next PATCH.
			const whole = rest.length >= this.minPartSize ? rest.length - (rest.length % CHUNK_SIZE) : 0;
			if (whole > 0) await send(rest.subarray(0, whole));
			if (whole < rest.length) {
				await this.uploadIncompletePart(id, Readable.from([rest.subarray(whole)]));
				stored += rest.length - whole;
			}
			return stored;
		}

		/** S3 needs a part to complete an upload: an empty file's is its header. */
		protected override async finishMultipartUpload(metadata: MetadataValue, parts: Part[]): Promise<string | undefined> {
			const header = this.#header(metadata);
			if (header && parts.length === 0) parts.push({ ETag: await this.uploadPart(metadata, header, 1), PartNumber: 1 });
			return super.finishMultipartUpload(metadata, parts);
		}

		protected override async uploadIncompletePart(id: string, readStream: fs.ReadStream | Readable): Promise<string> {
			const header = this.#header(await this.getMetadata(id));
			if (!header) return super.uploadIncompletePart(id, readStream);
			const plain = await collect(readStream);
			// A Buffer, not a stream: S3 wants the length of a PUT's body up front.
			const body = Buffer.concat(encryptChunks(this.#fileKey(header, id), plain, PART_AAD_BASE));
			const data = await this.client.putObject({ Bucket: this.bucket, Key: this.partKey(id, true), Body: body });
			return data.ETag!;
		}

		/** The `.part`'s plaintext, in memory (below 5 MiB): the parent's write puts it before the PATCH's bytes. */
		protected override async downloadIncompletePart(id: string): Promise<{ size: number; path: string; createReader: (options: { cleanUpOnEnd: boolean }) => fs.ReadStream } | undefined> {
			const header = this.#header(await this.getMetadata(id));
			if (!header) return super.downloadIncompletePart(id);
			const body = await this.getIncompletePart(id);
			if (!body) return undefined;
			const stored = await collect(body);
			const fileKey = this.#fileKey(header, id);
			const parts: Buffer[] = [];
			for (let i = 0, at = 0; at < stored.length; i++, at += STORED_CHUNK_SIZE) {
				parts.push(decryptChunk(fileKey, PART_AAD_BASE + i, stored.subarray(at, at + STORED_CHUNK_SIZE), `the unfinished part of upload "${id}"`));
			}
			const plain = Buffer.concat(parts);
			// No path: the parent's write only pipes the reader (a file's would be plaintext on disk).
			return { size: plain.length, path: '', createReader: () => Readable.from([plain]) as unknown as fs.ReadStream };
		}

		/** Plaintext bytes in `.part`. */
		protected override async getIncompletePartSize(id: string): Promise<number | undefined> {
			const stored = await super.getIncompletePartSize(id);
			if (stored === undefined || !this.#header(await this.getMetadata(id))) return stored;
			return plaintextSize(stored + HEADER_SIZE, `the unfinished part of upload "${id}"`);
		}

		/** The parent's, with the offset in plaintext bytes. */
		override async getUpload(id: string): Promise<Upload> {
			let metadata: MetadataValue;
			try {
				metadata = await this.getMetadata(id);
			} catch {
				throw ERRORS.FILE_NOT_FOUND;
			}
			if (!this.#header(metadata)) return super.getUpload(id);
			let parts: Part[];
			try {
				parts = await this.retrieveParts(id);
			} catch (error) {
				// The multipart upload is gone while its record is there: completed, the upload is whole.
				if (noSuchUpload(error)) return new Upload({ ...metadata.file, offset: metadata.file.size ?? 0 });
				throw error;
			}
			let offset = 0;
			// Part 1 holds the header; each part's last chunk may be short only in the last part.
			for (const part of parts) offset += plaintextSize((part.Size ?? 0) + (part.PartNumber === 1 ? 0 : HEADER_SIZE), `part ${part.PartNumber} of upload "${id}"`);
			return new Upload({ ...metadata.file, offset: offset + ((await this.getIncompletePartSize(id)) ?? 0) });
		}
	};
}

/** `plain` as stored chunks numbered from `first`. */
function encryptChunks(fileKey: Buffer, plain: Buffer, first: number): Buffer[] {
	const chunks: Buffer[] = [];
	for (let i = 0; i * CHUNK_SIZE < plain.length; i++) chunks.push(encryptChunk(fileKey, first + i, plain.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)));
	return chunks;
}


/** As the parent tells a completed (or aborted) multipart upload: NoSuchUpload, or NoSuchKey on some servers; not any 404. */
function noSuchUpload(error: unknown): boolean {
	const e = error as { name?: string; Code?: string } | null;
	return !!e && ['NoSuchKey', 'NoSuchUpload'].some((code) => e.name === code || e.Code === code);
}
