import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';

/**
 * `@tus/file-store` with two changes:
 * - no `creation-defer-length`: every upload declares its length at creation, so size limits and the
 *   quota are checked before a byte is stored;
 * - a running SHA-256 per upload, fed by the bytes as they are written, so a finished upload's digest
 *   costs nothing at completion. It is only trusted while it covers exactly the bytes on disk: a write
 *   that starts anywhere else than where the digest stopped (a resume on another process, after a
 *   restart, or after a write that failed part-way) drops it, and completion hashes the file instead.
 */
/** tus's upload record (from `@tus/utils`, which is no dependency of ours by name). */
type Upload = Awaited<ReturnType<FileStore['getUpload']>>;

export class HashingFileStore extends FileStore {
	readonly #digests = new Map<string, { hash: Hash; offset: number }>();
	/** Uploads finished and removed while their request is still being answered (see `keepUntilAnswered`). */
	readonly #answering = new Map<string, Upload>();

	constructor(options: { directory: string; expirationPeriodInMilliseconds: number }) {
		super(options);
		this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
	}

	override async write(readable: Readable, id: string, offset: number): Promise<number> {
		let state = this.#digests.get(id);
		if (offset === 0) state = { hash: createHash('sha256'), offset: 0 };
		else if (state && state.offset !== offset) state = undefined;
		this.#digests.delete(id);
		if (!state) return super.write(readable, id, offset);
		const current = state;
		const tap = new Transform({
			transform(chunk: Buffer, _encoding, callback) {
				current.hash.update(chunk);
				current.offset += chunk.length;
				callback(null, chunk);
			}
		});
		readable.on('error', (error) => tap.destroy(error));
		const written = await super.write(readable.pipe(tap), id, offset);
		// Bytes the digest saw but the disk did not keep (or the reverse) make it useless.
		if (written === current.offset) this.#digests.set(id, current);
		return written;
	}

	/** The SHA-256 of the upload's first `size` bytes, if the running digest holds exactly those. */
	takeDigest(id: string, size: number): string | undefined {
		const state = this.#digests.get(id);
		this.#digests.delete(id);
		return state && state.offset === size ? state.hash.digest('hex') : undefined;
	}

	override async remove(id: string): Promise<void> {
		this.#digests.delete(id);
		await super.remove(id);
	}

	/**
	 * A picture's upload is removed as it finishes (`Avatars.finish`), but tus's creation-with-upload
	 * POST reads the upload once more after its finish hook (for `Upload-Expires`): without this it
	 * answered 404 `no such upload` to a picture it had just set. Until `answered`, `getUpload` gives
	 * the finished upload as it was.
	 */
	keepUntilAnswered(upload: Upload): void {
		this.#answering.set(upload.id, upload);
	}

	answered(id: string): void {
		this.#answering.delete(id);
	}

	override async getUpload(id: string): Promise<Upload> {
		return this.#answering.get(id) ?? super.getUpload(id);
	}

	/** Drops the running digest of an upload this process will not see again (expired, finished). */
	forget(id: string): void {
		this.#digests.delete(id);
	}
}

/**
 * The parent makes its directory with `fs.mkdir` and a callback that throws: an uncaught exception
 * when the directory goes before the callback runs (a Parley stopped, and its data directory removed,
 * right after it started; seen in CI). `createFiles` has made the directory synchronously by then, so
 * the store does the same, with nothing left running. The method is private in the parent's types
 * (hence the cast), and the parent's constructor calls it through `this`, so this one is used.
 */
(HashingFileStore.prototype as unknown as { checkOrCreateDirectory(this: FileStore): void }).checkOrCreateDirectory = function (this: FileStore) {
	fs.mkdirSync(this.directory, { recursive: true });
};
