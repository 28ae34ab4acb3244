import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { ERRORS, type Upload } from '@tus/server';
import { AppError } from '../../errors.js';
import { EncryptedAppender, recoverRedo, writeAll } from '../crypto/appender.js';
import { hasMagic, MAGIC, type MasterKey } from '../crypto/format.js';
import { storedPlainSize } from '../crypto/stored.js';

/**
 * `@tus/file-store` (UPLOAD_DIR/tus: the bytes in a file named by the upload id, its record in
 * `<id>.json`) with these changes:
 * - no `creation-defer-length`: every upload declares its length at creation, so size limits and the
 *   quota are checked before a byte is stored;
 * - a full disk is 507 `insufficient_storage`, not tus's 500;
 * - with a master key (FILES_ENCRYPTION_KEY), the bytes go to disk encrypted (crypto/format.ts): tus's
 *   offsets stay plaintext offsets, a PATCH that ends mid-chunk leaves an encrypted partial chunk. An
 *   upload begun in clear before encryption was on goes on in clear.
 */
export class DiskStore extends FileStore {
	readonly #key: MasterKey | undefined;

	/** `key`: the master key new uploads are encrypted with; default none (clear). */
	constructor(options: { directory: string; expirationPeriodInMilliseconds: number; key?: MasterKey }) {
		super({ directory: options.directory, expirationPeriodInMilliseconds: options.expirationPeriodInMilliseconds });
		this.#key = options.key;
		this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
	}

	override async write(readable: Readable, id: string, offset: number): Promise<number> {
		// tus holds the upload's lock: a partial chunk's rewrite a dead process left is finished first.
		if (this.#key) await recoverRedo(path.join(this.directory, id));
		const handle = await fsp.open(path.join(this.directory, id), 'r+');
		if (this.#key) {
			// An empty file starts encrypted; one begun in clear (before the key was set) goes on in clear.
			const encrypted = await isEncryptedOrEmpty(handle).catch(async (error: unknown) => {
				await handle.close();
				throw error;
			});
			if (encrypted !== false) return this.#writeEncrypted(handle, this.#key, encrypted, readable, id, offset);
		}
		return this.#writeClear(handle, readable, offset);
	}

	/**
	 * The parent's write, which hides why a write failed (any error is tus's 500): here a full disk is
	 * 507 `insufficient_storage`. The bytes written before it stay, and the upload's offset is the
	 * file's size, so a HEAD and a PATCH from there resume once there is room. Closes `handle`.
	 */
	async #writeClear(handle: fsp.FileHandle, readable: Readable, offset: number): Promise<number> {
		let position = offset;
		// Errors leave through each write's callback, already mapped: the pipeline then ends every stream
		// of tus's own pipeline with the 507 too (a raw ENOSPC there would win and be a 500).
		const sink = new Writable({
			write(chunk: Buffer, _encoding, callback) {
				writeAll(handle, chunk, position).then(
					() => {
						position += chunk.length;
						callback();
					},
					(error: unknown) => callback((diskFull(error) ?? error) as Error)
				);
			}
		});
		try {
			await pipeline(readable, sink);
		} catch (error) {
			throw error instanceof AppError ? error : ERRORS.FILE_WRITE_ERROR;
		} finally {
			await handle.close();
		}
		return position;
	}

	/** A write through an EncryptedAppender; closes `handle`. */
	async #writeEncrypted(handle: fsp.FileHandle, key: MasterKey, onDisk: number, readable: Readable, id: string, offset: number): Promise<number> {
		let appender: EncryptedAppender;
		try {
			appender = await EncryptedAppender.open({ handle, key, offset, onDisk, what: `upload "${id}"`, redo: `${path.join(this.directory, id)}.redo` });
		} catch (error) {
			await handle.close();
			throw diskFull(error) ?? error;
		}
		const sink = new Writable({
			write(chunk: Buffer, _encoding, callback) {
				appender.write(chunk).then(
					() => callback(),
					(error: unknown) => callback((diskFull(error) ?? error) as Error)
				);
			},
			final(callback) {
				appender.finish().then(
					() => callback(),
					(error: unknown) => callback((diskFull(error) ?? error) as Error)
				);
			}
		});
		try {
			await pipeline(readable, sink);
		} catch (error) {
			// The client went away (or sent too much): what came before it is kept, as in clear.
			await appender.finish().catch(() => undefined);
			throw error instanceof AppError ? error : ERRORS.FILE_WRITE_ERROR;
		} finally {
			await handle.close();
		}
		return appender.written;
	}

	/** The parent's create (an empty file, then its `.json`), a full disk being 507 with nothing left behind. */
	override async create(upload: Upload): Promise<Upload> {
		try {
			return await super.create(upload);
		} catch (error) {
			const full = diskFull(error);
			if (!full) throw error;
			await fsp.rm(path.join(this.directory, upload.id), { force: true });
			await fsp.rm(path.join(this.directory, `${upload.id}.json`), { force: true });
			throw full;
		}
	}

	override async remove(id: string): Promise<void> {
		await fsp.rm(`${path.join(this.directory, id)}.redo`, { force: true });
		await super.remove(id);
	}

	override async getUpload(id: string): Promise<Upload> {
		// tus asks holding the upload's lock (HEAD, PATCH, DELETE): a partial chunk's rewrite a dead
		// process left is finished before the offset is told.
		if (this.#key) await recoverRedo(path.join(this.directory, id)).catch(() => false);
		const upload = await super.getUpload(id);
		// The parent takes the offset from the file's size: an encrypted file's is not its plaintext's.
		if (this.#key) upload.offset = await storedPlainSize(path.join(this.directory, id));
		return upload;
	}
}

/**
 * The parent makes its directory with `fs.mkdir` and a callback that throws: an uncaught exception
 * when the directory goes before the callback runs (a Parley stopped, and its data directory removed,
 * right after it started; seen in CI). `createFiles` has made the directory synchronously by then, so
 * the store does the same, with nothing left running. The method is private in the parent's types
 * (hence the cast), and the parent's constructor calls it through `this`, so this one is used.
 */
(DiskStore.prototype as unknown as { checkOrCreateDirectory(this: FileStore): void }).checkOrCreateDirectory = function (this: FileStore) {
	fs.mkdirSync(this.directory, { recursive: true });
};

/** The file's size on disk when it is empty or begins with the encryption header; false for a clear file. */
async function isEncryptedOrEmpty(handle: fsp.FileHandle): Promise<number | false> {
	const { size } = await handle.stat();
	if (size === 0) return 0;
	const head = Buffer.alloc(Math.min(size, MAGIC.length));
	await handle.read(head, 0, head.length, 0);
	return hasMagic(head) ? size : false;
}

/** A full disk (or a file system quota) as the contract's 507; undefined for any other error. */
export function diskFull(error: unknown): AppError | undefined {
	const code = (error as NodeJS.ErrnoException | null)?.code;
	if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
	return new AppError('insufficient_storage', 'the server has no disk space left for uploads; what it received so far is kept: resume from the Upload-Offset HEAD gives once there is room');
}
