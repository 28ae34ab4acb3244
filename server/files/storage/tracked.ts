import { createHash, type Hash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { DataStore, type Upload } from '@tus/server';

/**
 * tus's data store (the local disk's or S3's), with what Parley adds to any of them:
 * - pacing: the upload's bytes go on as its owner's rate allows (server/files/pacing);
 * - a running SHA-256 per upload, fed by the bytes as they come, so a finished upload's digest costs
 *   nothing at completion. It is only trusted while it covers exactly the bytes stored: a write that
 *   starts anywhere else than where the digest stopped (a resume on another process, after a
 *   restart, or after a write that failed part-way) drops it, and completion hashes the bytes instead;
 * - `keepUntilAnswered`: a picture's upload is removed as it finishes (`Avatars.finish`), but tus's
 *   creation-with-upload POST reads the upload once more after its finish hook (for `Upload-Expires`):
 *   until `answered`, `getUpload` gives the finished upload as it was.
 */
export class TrackedStore extends DataStore {
	readonly #digests = new Map<string, { hash: Hash; offset: number }>();
	readonly #answering = new Map<string, Upload>();

	constructor(readonly inner: DataStore) {
		super();
		this.extensions = inner.extensions;
	}

	/** Set by the files role: the upload's bytes as they may go on; none when unpaced. */
	pace?: (readable: Readable, uploadId: string) => Readable | undefined;

	override create(upload: Upload): Promise<Upload> {
		return this.inner.create(upload);
	}

	override async write(readable: Readable, id: string, offset: number): Promise<number> {
		readable = this.pace?.(readable, id) ?? readable;
		let state = this.#digests.get(id);
		if (offset === 0) state = { hash: createHash('sha256'), offset: 0 };
		else if (state && state.offset !== offset) state = undefined;
		this.#digests.delete(id);
		const current = state;
		// pipeline: the source's error (the client went away) reaches the store through the tap, and the
		// store giving up ends the source.
		const tapped = current
			? pipeline(
					readable,
					new Transform({
						transform(chunk: Buffer, _encoding, callback) {
							current.hash.update(chunk);
							current.offset += chunk.length;
							callback(null, chunk);
						}
					}),
					() => undefined
				)
			: readable;
		const written = await this.inner.write(tapped, id, offset);
		// Bytes the digest saw but the store did not keep (or the reverse) make it useless.
		if (current && written === current.offset) this.#digests.set(id, current);
		return written;
	}

	override async getUpload(id: string): Promise<Upload> {
		return this.#answering.get(id) ?? this.inner.getUpload(id);
	}

	override async remove(id: string): Promise<void> {
		this.#digests.delete(id);
		await this.inner.remove(id);
	}

	override declareUploadLength(id: string, length: number): Promise<void> {
		return this.inner.declareUploadLength(id, length);
	}

	override deleteExpired(): Promise<number> {
		return this.inner.deleteExpired();
	}

	override getExpiration(): number {
		return this.inner.getExpiration();
	}

	/** The SHA-256 of the upload's first `size` bytes, if the running digest holds exactly those. */
	takeDigest(id: string, size: number): string | undefined {
		const state = this.#digests.get(id);
		this.#digests.delete(id);
		return state && state.offset === size ? state.hash.digest('hex') : undefined;
	}

	/** Drops the running digest of an upload this process will not see again (expired, finished). */
	forget(id: string): void {
		this.#digests.delete(id);
	}

	keepUntilAnswered(upload: Upload): void {
		this.#answering.set(upload.id, upload);
	}

	answered(id: string): void {
		this.#answering.delete(id);
	}
}
