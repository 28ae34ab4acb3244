import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { recoverRedo } from './crypto/appender.js';
import type { MasterKey } from './crypto/format.js';
import { storedPlainSize } from './crypto/stored.js';

/** An upload as its tus record on disk describes it. */
export interface UploadRecord {
	id: string;
	/** Declared length. */
	size: number;
	/** Milliseconds since the epoch. */
	createdAt: number;
	metadata: Record<string, string | null>;
}

/**
 * The uploads directory (`UPLOAD_DIR/tus`) as @tus/file-store lays it out: the bytes in a file named
 * by the upload id, its record beside it in `<id>.json`. Upload ids are made here, never by a client:
 * `<owner id>_<24 hex>`, so the owner of any upload URL is known without a look-up and a path cannot
 * be smuggled in.
 */
export class Uploads {
	/** `key`: FILES_ENCRYPTION_KEY, when uploads are stored encrypted (their offsets are plaintext sizes). */
	constructor(
		readonly directory: string,
		readonly key?: MasterKey
	) {}

	static readonly ID = /^([0-9a-z]{1,32})_[0-9a-f]{24}$/;

	newId(ownerId: string): string {
		return `${ownerId}_${randomBytes(12).toString('hex')}`;
	}

	/** The owner named by a well-formed upload id; undefined for anything else. */
	ownerOf(uploadId: string): string | undefined {
		return Uploads.ID.exec(uploadId)?.[1];
	}

	bytesPath(uploadId: string): string {
		if (!Uploads.ID.test(uploadId)) throw new Error(`"${uploadId}" is not an upload id`);
		return path.join(this.directory, uploadId);
	}

	/** The record of one upload, or undefined. */
	async get(uploadId: string): Promise<UploadRecord | undefined> {
		if (!Uploads.ID.test(uploadId)) return undefined;
		try {
			const raw = JSON.parse(await fsp.readFile(path.join(this.directory, `${uploadId}.json`), 'utf8')) as { size?: number; creation_date?: string; metadata?: Record<string, string | null> };
			return { id: uploadId, size: Number(raw.size ?? 0), createdAt: raw.creation_date ? Date.parse(raw.creation_date) : 0, metadata: raw.metadata ?? {} };
		} catch {
			return undefined;
		}
	}

	/** Plaintext bytes stored so far, or undefined when there are none. */
	async offset(uploadId: string): Promise<number | undefined> {
		try {
			if (this.key) return await storedPlainSize(this.bytesPath(uploadId));
			return (await fsp.stat(this.bytesPath(uploadId))).size;
		} catch {
			return undefined;
		}
	}

	/** Every upload's record (of one owner, when given). */
	async list(ownerId?: string): Promise<UploadRecord[]> {
		let names: string[];
		try {
			names = await fsp.readdir(this.directory);
		} catch {
			return [];
		}
		const prefix = ownerId === undefined ? '' : `${ownerId}_`;
		const ids = names.filter((n) => n.endsWith('.json') && n.startsWith(prefix)).map((n) => n.slice(0, -'.json'.length));
		const records = await Promise.all(ids.map((id) => this.get(id)));
		return records.filter((r): r is UploadRecord => r !== undefined);
	}

	/**
	 * With a key: finishes a partial chunk's rewrite a dead process left (crypto/appender.ts). Only
	 * for an upload nobody writes: one whose bytes are all there.
	 */
	async recover(uploadId: string): Promise<void> {
		if (this.key) await recoverRedo(this.bytesPath(uploadId));
	}

	/** Removes an upload's bytes and record; what is already gone is no error. */
	async removeBytes(uploadId: string): Promise<void> {
		await fsp.rm(`${this.bytesPath(uploadId)}.redo`, { force: true });
		await fsp.rm(this.bytesPath(uploadId), { force: true });
		await fsp.rm(path.join(this.directory, `${uploadId}.json`), { force: true });
	}
}
