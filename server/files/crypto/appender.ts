import type fsp from 'node:fs/promises';
import { CHUNK_SIZE, chunkOffset, decryptChunk, encryptChunk, HEADER_SIZE, type MasterKey, plaintextSize } from './format.js';

/**
 * Appends plaintext to an encrypted file being uploaded. Whole chunks are written as they fill; what
 * is left at `finish` becomes an encrypted partial last chunk, never clear bytes. Resuming in the
 * middle of a chunk decrypts that partial chunk and re-encrypts it, longer, under a fresh nonce.
 */
export class EncryptedAppender {
	#pending: Buffer[] = [];
	#pendingBytes = 0;
	/** Whether the pending bytes differ from what is on disk (a resumed partial chunk alone does not). */
	#dirty = false;
	/** Plaintext bytes of chunk `#index` on disk (a partial chunk), 0 when none. */
	#onDiskPartial = 0;
	/** A write failed: nothing more is written (the disk holds what `written` says). */
	#broken = false;
	#index: number;
	#fileEnd: number;

	private constructor(
		private readonly handle: fsp.FileHandle,
		private readonly fileKey: Buffer,
		index: number,
		fileEnd: number
	) {
		this.#index = index;
		this.#fileEnd = fileEnd;
	}

	/**
	 * Opens the file for appending at plaintext `offset`, which must be where its plaintext ends. An
	 * empty file gets its header first. `onDisk` is the file's size now.
	 */
	static async open(options: { handle: fsp.FileHandle; key: MasterKey; offset: number; onDisk: number; what: string }): Promise<EncryptedAppender> {
		const { handle, key, offset, onDisk, what } = options;
		if (onDisk === 0) {
			if (offset !== 0) throw new Error(`${what} is empty on disk, not ${offset} bytes long`);
			const { header, fileKey } = key.newHeader();
			await writeAll(handle, header, 0);
			return new EncryptedAppender(handle, fileKey, 0, HEADER_SIZE);
		}
		const header = Buffer.alloc(HEADER_SIZE);
		await handle.read(header, 0, HEADER_SIZE, 0);
		const fileKey = key.openHeader(header, what);
		const size = plaintextSize(onDisk, what);
		if (size !== offset) throw new Error(`${what} holds ${size} bytes, not ${offset}`);
		const appender = new EncryptedAppender(handle, fileKey, Math.floor(offset / CHUNK_SIZE), onDisk);
		const partial = offset % CHUNK_SIZE;
		if (partial > 0) {
			const at = chunkOffset(appender.#index);
			const stored = Buffer.alloc(onDisk - at);
			await handle.read(stored, 0, stored.length, at);
			const plain = decryptChunk(fileKey, appender.#index, stored, what);
			appender.#pending = [plain];
			appender.#pendingBytes = plain.length;
			appender.#onDiskPartial = plain.length;
		}
		return appender;
	}

	/** Plaintext bytes on disk so far. */
	get written(): number {
		return this.#index * CHUNK_SIZE + this.#onDiskPartial;
	}

	/** Takes `bytes`; writes every chunk they fill. */
	async write(bytes: Buffer): Promise<void> {
		if (this.#broken) throw new Error('an earlier write to this file failed');
		if (bytes.length === 0) return;
		this.#pending.push(bytes);
		this.#pendingBytes += bytes.length;
		this.#dirty = true;
		if (this.#pendingBytes < CHUNK_SIZE) return;
		// One copy, then whole chunks out of it (a 1 MiB piece is 16 chunks, not 16 copies).
		const all = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending);
		let at = 0;
		try {
			for (; all.length - at >= CHUNK_SIZE; at += CHUNK_SIZE) {
				await this.#writeChunk(all.subarray(at, at + CHUNK_SIZE));
				this.#index++;
				this.#onDiskPartial = 0;
			}
		} finally {
			const rest = all.subarray(at);
			this.#pending = rest.length > 0 ? [rest] : [];
			this.#pendingBytes = rest.length;
		}
	}

	/** Writes what is pending as the (partial) last chunk; resolves to the plaintext size on disk. */
	async finish(): Promise<number> {
		if (this.#dirty && this.#pendingBytes > 0 && !this.#broken) {
			await this.#writeChunk(Buffer.concat(this.#pending));
			this.#onDiskPartial = this.#pendingBytes;
			this.#dirty = false;
		}
		return this.written;
	}

	/**
	 * Chunk `#index` on disk. A chunk that grows the file writes its new tail first: if the disk is
	 * full that fails before the partial chunk already there (acknowledged bytes) is touched, and the
	 * file is cut back to where it was. The rest then overwrites blocks the file already has.
	 */
	async #writeChunk(plain: Buffer): Promise<void> {
		try {
			await this.#writeChunkAt(plain);
		} catch (error) {
			this.#broken = true;
			throw error;
		}
	}

	async #writeChunkAt(plain: Buffer): Promise<void> {
		const stored = encryptChunk(this.fileKey, this.#index, plain);
		const at = chunkOffset(this.#index);
		const end = at + stored.length;
		if (end > this.#fileEnd) {
			const from = Math.max(at, this.#fileEnd);
			try {
				await writeAll(this.handle, stored.subarray(from - at), from);
			} catch (error) {
				await this.handle.truncate(this.#fileEnd).catch(() => undefined);
				throw error;
			}
		}
		if (at < this.#fileEnd) await writeAll(this.handle, stored.subarray(0, Math.min(stored.length, this.#fileEnd - at)), at);
		this.#fileEnd = Math.max(this.#fileEnd, end);
	}
}

/** Writes all of `chunk` at `position` (a short write, as a filling disk makes, is followed by the rest). */
export async function writeAll(handle: fsp.FileHandle, chunk: Buffer, position: number): Promise<void> {
	let done = 0;
	while (done < chunk.length) {
		const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
		done += bytesWritten;
	}
}
