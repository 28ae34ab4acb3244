import fsp from 'node:fs/promises';
import { CHUNK_OVERHEAD, CHUNK_SIZE, chunkOffset, decryptChunk, encryptChunk, HEADER_SIZE, type MasterKey, plaintextSize } from './format.js';

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
		private readonly redo: string | undefined,
		index: number,
		fileEnd: number
	) {
		this.#index = index;
		this.#fileEnd = fileEnd;
	}

	/**
	 * Opens the file for appending at plaintext `offset`, which must be where its plaintext ends. An
	 * empty file gets its header first. `onDisk` is the file's size now. `redo`: where the redo record
	 * of a partial chunk's rewrite goes (`<file>.redo`); without, rewrites are not crash-safe (files
	 * written once, start to end, never rewrite).
	 */
	static async open(options: { handle: fsp.FileHandle; key: MasterKey; offset: number; onDisk: number; what: string; redo?: string }): Promise<EncryptedAppender> {
		const { handle, key, offset, onDisk, what, redo } = options;
		if (onDisk === 0) {
			if (offset !== 0) throw new Error(`${what} is empty on disk, not ${offset} bytes long`);
			const { header, fileKey } = key.newHeader();
			await writeAll(handle, header, 0);
			return new EncryptedAppender(handle, fileKey, redo, 0, HEADER_SIZE);
		}
		const header = Buffer.alloc(HEADER_SIZE);
		await handle.read(header, 0, HEADER_SIZE, 0);
		const fileKey = key.openHeader(header, what);
		const size = plaintextSize(onDisk, what);
		if (size !== offset) throw new Error(`${what} holds ${size} bytes, not ${offset}`);
		const appender = new EncryptedAppender(handle, fileKey, redo, Math.floor(offset / CHUNK_SIZE), onDisk);
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
			// A resumed partial chunk is rewritten alone (through its redo record) …
			if (chunkOffset(this.#index) < this.#fileEnd) {
				await this.#writeChunk(all.subarray(0, CHUNK_SIZE));
				this.#index++;
				this.#onDiskPartial = 0;
				at = CHUNK_SIZE;
			}
			// … new ones go out together: one write per piece received, not one per chunk.
			const whole = Math.floor((all.length - at) / CHUNK_SIZE);
			if (whole > 0) {
				await this.#writeNew(all.subarray(at, at + whole * CHUNK_SIZE));
				this.#index += whole;
				this.#onDiskPartial = 0;
				at += whole * CHUNK_SIZE;
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
	 * Chunk `#index` on disk. A new chunk is one write past the end (a full disk cuts the file back to
	 * where it was). Rewriting the partial last chunk, whose bytes were acknowledged, goes through a
	 * redo record first (`redo`, renamed into place when whole): its new tail is written (a full disk
	 * fails here, the record goes and the old chunk is untouched), then the whole chunk in one write,
	 * then the record goes. A process that dies in between leaves the record, and `recoverRedo`
	 * replays it: the chunk is either the old one or the new one, never half of each.
	 */
	async #writeChunk(plain: Buffer): Promise<void> {
		try {
			await this.#writeChunkAt(plain);
		} catch (error) {
			this.#broken = true;
			throw error;
		}
	}

	/** Whole chunks `#index` … past the end, encrypted and written in one go. */
	async #writeNew(plain: Buffer): Promise<void> {
		const parts: Buffer[] = [];
		for (let i = 0; i * CHUNK_SIZE < plain.length; i++) parts.push(encryptChunk(this.fileKey, this.#index + i, plain.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)));
		const stored = parts.length === 1 ? parts[0] : Buffer.concat(parts);
		const at = chunkOffset(this.#index);
		try {
			await this.#extend(stored, at, this.#fileEnd);
		} catch (error) {
			this.#broken = true;
			throw error;
		}
		this.#fileEnd = at + stored.length;
	}

	async #writeChunkAt(plain: Buffer): Promise<void> {
		const stored = encryptChunk(this.fileKey, this.#index, plain);
		const at = chunkOffset(this.#index);
		const end = at + stored.length;
		const before = this.#fileEnd;
		if (at >= before) {
			await this.#extend(stored, at, before);
			this.#fileEnd = end;
			return;
		}
		if (this.redo) await writeRedo(this.redo, at, stored);
		try {
			if (end > before) await this.#extend(stored.subarray(before - at), before, before);
		} catch (error) {
			if (this.redo) await fsp.rm(this.redo, { force: true });
			throw error;
		}
		await writeAll(this.handle, stored, at);
		this.#fileEnd = Math.max(before, end);
		if (this.redo) await fsp.rm(this.redo, { force: true });
	}

	/** Writes `bytes` at `position`, at or past the end; on failure the file is cut back to `end`. */
	async #extend(bytes: Buffer, position: number, end: number): Promise<void> {
		try {
			await writeAll(this.handle, bytes, position);
		} catch (error) {
			await this.handle.truncate(end).catch(() => undefined);
			throw error;
		}
	}
}

/** The redo record: the chunk's position (8 bytes) and its stored bytes, through a temporary file. */
async function writeRedo(redo: string, at: number, stored: Buffer): Promise<void> {
	const record = Buffer.alloc(8 + stored.length);
	record.writeBigUInt64BE(BigInt(at));
	stored.copy(record, 8);
	const partial = `${redo}.part`;
	try {
		await fsp.writeFile(partial, record);
		await fsp.rename(partial, redo);
	} catch (error) {
		await fsp.rm(partial, { force: true });
		throw error;
	}
}

/**
 * Finishes a partial chunk's rewrite that a dead process left (its redo record `<file>.redo`): the
 * chunk written whole and the file ending after it. Call it holding the upload (its tus lock), or
 * when the upload is complete (then the chunk is the last and the replay writes the same bytes).
 */
export async function recoverRedo(file: string): Promise<boolean> {
	const redo = `${file}.redo`;
	await fsp.rm(`${redo}.part`, { force: true });
	let record: Buffer;
	try {
		record = await fsp.readFile(redo);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
		throw error;
	}
	if (record.length > 8 + CHUNK_OVERHEAD) {
		const at = Number(record.readBigUInt64BE(0));
		const chunk = record.subarray(8);
		const handle = await fsp.open(file, 'r+');
		try {
			await writeAll(handle, chunk, at);
			await handle.truncate(at + chunk.length);
		} finally {
			await handle.close();
		}
	}
	await fsp.rm(redo, { force: true });
	return true;
}

/** Writes all of `chunk` at `position` (a short write, as a filling disk makes, is followed by the rest). */
export async function writeAll(handle: fsp.FileHandle, chunk: Buffer, position: number): Promise<void> {
	let done = 0;
	while (done < chunk.length) {
		const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
		done += bytesWritten;
	}
}
