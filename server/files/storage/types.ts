import { randomBytes } from 'node:crypto';
import type { MasterKey } from '../crypto/format.js';
import type { OpenOptions, StoredFile } from '../crypto/stored.js';
import type { TrackedStore } from './tracked.js';

/**
 * Where files live (FILES_STORE): the local disk under UPLOAD_DIR (default), or an S3-compatible
 * bucket that several gateways share without a shared file system. Each store gives the same four
 * parts; nothing outside `storage/` knows which one runs.
 */
export interface FileStorage {
	/** `local` or `s3`, for the log and /health. */
	readonly kind: 'local' | 's3';
	/** Where, in words (a directory, or an endpoint and bucket; never a credential). */
	readonly where: string;
	/** tus's data store, with the running digest and pacing (tracked.ts). */
	readonly tus: TrackedStore;
	readonly uploads: Uploads;
	/** Thumbnails, `<fileId>.webp`. */
	readonly thumbs: Blobs;
	/** Users' and groups' pictures, `<avatarId>.webp`. */
	readonly pictures: Blobs;
	/**
	 * At start-up, before any file is read or written: the store's check object (crypto/check.ts)
	 * against FILES_ENCRYPTION_KEY, made on the first start with a key. Throws a ConfigError when files
	 * are encrypted and there is no key, or another one.
	 */
	checkKey(): Promise<'made' | 'matches' | 'off'>;
	close(): Promise<void>;
}

/** An upload as the store's record of it says. */
export interface UploadEntry {
	id: string;
	/** Milliseconds since the epoch. */
	createdAt: number;
}

export interface UploadRecord extends UploadEntry {
	/** Declared length. */
	size: number;
	metadata: Record<string, string | null>;
}

/** A finished upload's plaintext to read: a local path when one holds it clear (the fast way), else `open`. */
export interface Source {
	/** A local file holding exactly the plaintext; absent when there is none (S3, or encrypted). */
	path?: string;
	open(): Promise<StoredFile>;
}

/**
 * The uploads (tus's records and bytes; a finished upload's bytes are its file's). Upload ids are
 * made here, never by a client: `<owner id>_<24 hex>`, so the owner of any upload URL is known
 * without a look-up and a path or key cannot be smuggled in.
 */
export abstract class Uploads {
	static readonly ID = /^([0-9a-z]{1,32})_[0-9a-f]{24}$/;

	/** FILES_ENCRYPTION_KEY, when uploads are stored encrypted (their offsets are plaintext sizes). */
	constructor(readonly key?: MasterKey) {}

	newId(ownerId: string): string {
		return `${ownerId}_${randomBytes(12).toString('hex')}`;
	}

	/** The owner named by a well-formed upload id; undefined for anything else. */
	ownerOf(uploadId: string): string | undefined {
		return Uploads.ID.exec(uploadId)?.[1];
	}

	protected checkId(uploadId: string): void {
		if (!Uploads.ID.test(uploadId)) throw new Error(`"${uploadId}" is not an upload id`);
	}

	/** The record of one upload, or undefined. */
	abstract get(uploadId: string): Promise<UploadRecord | undefined>;
	/** Plaintext bytes stored so far, or undefined when there are none. */
	abstract offset(uploadId: string): Promise<number | undefined>;
	/** Every upload (of one owner, when given), finished ones included. */
	abstract list(ownerId?: string): Promise<UploadEntry[]>;
	/** Finishes what a dead process left half done on an upload nobody writes (encrypted local uploads). */
	abstract recover(uploadId: string): Promise<void>;
	/** Removes an upload's bytes and record; what is already gone is no error. */
	abstract removeBytes(uploadId: string): Promise<void>;
	/** A finished upload's plaintext, read as `read` says; `open` is undefined-free: a missing one rejects with code ENOENT. */
	abstract source(uploadId: string, read: OpenOptions): Source;
}

/** A thumbnail's or picture's name in its Blobs: `<id>.webp` (the id captured). */
export const BLOB_NAME = /^([0-9a-z]{1,32})\.webp$/;

/** Small whole objects (thumbnails, pictures), WebP, stored encrypted under the master key when there is one. */
export interface Blobs {
	/** Stores `bytes` (plaintext) under `name`, whole: a reader sees the old object or the new one, never part. */
	put(name: string, bytes: Buffer): Promise<void>;
	/** The object's plaintext and when it was stored, or undefined when there is none. */
	open(name: string, what: string): Promise<{ file: StoredFile; modified: Date } | undefined>;
	/** What is already gone is no error. */
	remove(name: string): Promise<void>;
	/** Every object's name and when it was stored (ms). */
	list(): Promise<Array<{ name: string; modified: number }>>;
}

/** An error that says a stored object is not there (ENOENT locally, NoSuchKey on S3). */
export function notThere(what: string): NodeJS.ErrnoException {
	const error: NodeJS.ErrnoException = new Error(`${what} is not in the store`);
	error.code = 'ENOENT';
	return error;
}
