import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CHUNK_SIZE, chunkOffset, decryptChunk, DecryptError, hasMagic, HEADER_SIZE, MAGIC, type MasterKey, plaintextSize, STORED_CHUNK_SIZE } from './format.js';

/** How a clear WebP (a thumbnail or picture of before encryption was on) begins: `clearPrefix` for them. */
export const WEBP = Buffer.from('RIFF', 'ascii');

/** Chunks read from disk at once: 16 × 64 KiB, about the 1 MiB reads clear downloads use. */
const CHUNKS_PER_READ = 16;

/** A file on disk as its plaintext: encrypted (decrypted on the fly) or clear. */
export interface StoredFile {
	readonly path: string;
	/** Plaintext bytes. */
	readonly size: number;
	readonly encrypted: boolean;
	/**
	 * Plaintext bytes `start` … `end` (inclusive), reading only the chunks they lie in. A chunk that
	 * does not authenticate ends the iteration with a DecryptError: never a wrong byte.
	 */
	read(start: number, end: number): AsyncGenerator<Buffer>;
	/** The whole plaintext as a stream (`read(0, size - 1)`). */
	stream(): Readable;
	close(): Promise<void>;
}

export interface OpenOptions {
	/** The master key; without it an encrypted file is refused. */
	key: MasterKey | undefined;
	/** Names the file in errors. Default `the file`. */
	what?: string;
	/**
	 * With a key, how a file without the encryption header proves it is a clear file of before
	 * encryption was turned on (and not an encrypted one whose header was damaged): its size on disk
	 * equals this plaintext size (a file's row knows it) …
	 */
	clearSize?: number;
	/** … or it starts with these bytes (thumbnails and pictures are WebP: `RIFF`). */
	clearPrefix?: Buffer;
}

/**
 * Opens a stored file for reading. With a key, files with the magic header are decrypted, and a
 * file without the header is read clear only when `clearSize` or `clearPrefix` vouch for it, else it
 * is a DecryptError. The caller closes the file.
 */
export async function openStored(path: string, options: OpenOptions): Promise<StoredFile> {
	const what = options.what ?? 'the file';
	const handle = await fsp.open(path, 'r');
	try {
		const { size: onDisk } = await handle.stat();
		const head = Buffer.alloc(Math.min(onDisk, HEADER_SIZE));
		if (head.length > 0) await readExactly(handle, head, 0);
		const { key } = options;
		// Without a key every file is clear: the start-up check (check.ts) refuses an UPLOAD_DIR with
		// encrypted files, and a clear file may well begin with the magic bytes.
		if (key && hasMagic(head)) {
			return encryptedFile(path, handle, key.openHeader(head, what), plaintextSize(onDisk, what), onDisk, what);
		}
		if (key && !(options.clearSize === onDisk || (options.clearPrefix && head.subarray(0, options.clearPrefix.length).equals(options.clearPrefix)))) {
			throw new DecryptError(`${what} has no valid encryption header (${onDisk} bytes on disk, starting ${head.subarray(0, MAGIC.length).toString('hex')}): damaged`);
		}
		return clearFile(path, handle, onDisk);
	} catch (error) {
		await handle.close();
		throw error;
	}
}

/** With a key: the plaintext size of a file, decrypted size for an encrypted one (by its magic), else its size. */
export async function storedPlainSize(path: string): Promise<number> {
	const handle = await fsp.open(path, 'r');
	try {
		const { size } = await handle.stat();
		const head = Buffer.alloc(Math.min(size, MAGIC.length));
		if (head.length > 0) await readExactly(handle, head, 0);
		return hasMagic(head) ? plaintextSize(size) : size;
	} finally {
		await handle.close();
	}
}

/** A stored file's whole plaintext, opened and closed here (an image for sharp, which reads its input whole anyway). */
export async function readPlaintext(path: string, options: OpenOptions): Promise<Buffer> {
	const stored = await openStored(path, options);
	try {
		return await readAll(stored);
	} finally {
		await stored.close();
	}
}

/** Collects a stored file's whole plaintext (small files: thumbnails, pictures). */
export async function readAll(file: StoredFile): Promise<Buffer> {
	const parts: Buffer[] = [];
	if (file.size > 0) for await (const part of file.read(0, file.size - 1)) parts.push(part);
	return Buffer.concat(parts);
}

function encryptedFile(path: string, handle: fsp.FileHandle, fileKey: Buffer, size: number, onDisk: number, what: string): StoredFile {
	const file: StoredFile = {
		path,
		size,
		encrypted: true,
		async *read(start, end) {
			end = Math.min(end, size - 1);
			const last = Math.floor(end / CHUNK_SIZE);
			for (let first = Math.floor(start / CHUNK_SIZE); first <= last; first += CHUNKS_PER_READ) {
				const upTo = Math.min(last, first + CHUNKS_PER_READ - 1);
				const from = chunkOffset(first);
				const buffer = Buffer.alloc(Math.min(onDisk, chunkOffset(upTo + 1)) - from);
				await readExactly(handle, buffer, from);
				for (let i = first; i <= upTo; i++) {
					const at = (i - first) * STORED_CHUNK_SIZE;
					const plain = decryptChunk(fileKey, i, buffer.subarray(at, at + STORED_CHUNK_SIZE), what);
					const base = i * CHUNK_SIZE;
					yield plain.subarray(Math.max(0, start - base), Math.min(plain.length, end - base + 1));
				}
			}
		},
		stream: () => Readable.from(size > 0 ? file.read(0, size - 1) : [], { objectMode: false, highWaterMark: 1024 * 1024 }),
		close: () => handle.close()
	};
	return file;
}

function clearFile(path: string, handle: fsp.FileHandle, size: number): StoredFile {
	const file: StoredFile = {
		path,
		size,
		encrypted: false,
		async *read(start, end) {
			end = Math.min(end, size - 1);
			for (let at = start; at <= end; ) {
				const buffer = Buffer.alloc(Math.min(1024 * 1024, end - at + 1));
				await readExactly(handle, buffer, at);
				at += buffer.length;
				yield buffer;
			}
		},
		stream: () => Readable.from(size > 0 ? file.read(0, size - 1) : [], { objectMode: false, highWaterMark: 1024 * 1024 }),
		close: () => handle.close()
	};
	return file;
}

/** Fills `buffer` from `position`; a file shorter than that is a DecryptError (it changed under us). */
async function readExactly(handle: fsp.FileHandle, buffer: Buffer, position: number): Promise<void> {
	let done = 0;
	while (done < buffer.length) {
		const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
		if (bytesRead === 0) throw new DecryptError(`the file ended at byte ${position + done}, before the ${buffer.length} bytes expected from ${position}`);
		done += bytesRead;
	}
}
