import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { localSource } from '../content.js';
import { recoverRedo } from '../crypto/appender.js';
import { checkMasterKey } from '../crypto/check.js';
import { encryptBuffer, type MasterKey } from '../crypto/format.js';
import { openStored, storedPlainSize, WEBP, type OpenOptions } from '../crypto/stored.js';
import { DiskStore, diskFull } from './disk-store.js';
import { TrackedStore } from './tracked.js';
import { BLOB_NAME, Uploads, type Blobs, type FileStorage, type Source, type UploadEntry, type UploadRecord } from './types.js';

/**
 * The local disk (the default): under UPLOAD_DIR, uploads in `tus/` as @tus/file-store lays them
 * out, thumbnails in `thumbs/`, pictures in `avatars/`.
 */
export function localStorage(options: { uploadDir: string; expiryMs: number; key?: MasterKey }): FileStorage {
	const tusDir = path.join(options.uploadDir, 'tus');
	const thumbs = path.join(options.uploadDir, 'thumbs');
	const pictures = path.join(options.uploadDir, 'avatars');
	for (const dir of [tusDir, thumbs, pictures]) fs.mkdirSync(dir, { recursive: true });
	return {
		kind: 'local',
		where: options.uploadDir,
		tus: new TrackedStore(new DiskStore({ directory: tusDir, expirationPeriodInMilliseconds: options.expiryMs, key: options.key })),
		uploads: new LocalUploads(tusDir, options.key),
		thumbs: new LocalBlobs(thumbs, options.key),
		pictures: new LocalBlobs(pictures, options.key),
		checkKey: async () => checkMasterKey(options.uploadDir, options.key),
		close: async () => undefined
	};
}

/** Uploads on the local disk: the bytes in a file named by the upload id, the record in `<id>.json`. */
export class LocalUploads extends Uploads {
	constructor(
		readonly directory: string,
		key?: MasterKey
	) {
		super(key);
	}

	bytesPath(uploadId: string): string {
		this.checkId(uploadId);
		return path.join(this.directory, uploadId);
	}

	async get(uploadId: string): Promise<UploadRecord | undefined> {
		if (!Uploads.ID.test(uploadId)) return undefined;
		try {
			const raw = JSON.parse(await fsp.readFile(path.join(this.directory, `${uploadId}.json`), 'utf8')) as { size?: number; creation_date?: string; metadata?: Record<string, string | null> };
			return { id: uploadId, size: Number(raw.size ?? 0), createdAt: raw.creation_date ? Date.parse(raw.creation_date) : 0, metadata: raw.metadata ?? {} };
		} catch {
			return undefined;
		}
	}

	async offset(uploadId: string): Promise<number | undefined> {
		try {
			if (this.key) return await storedPlainSize(this.bytesPath(uploadId));
			return (await fsp.stat(this.bytesPath(uploadId))).size;
		} catch {
			return undefined;
		}
	}

	async list(ownerId?: string): Promise<UploadEntry[]> {
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

	/** With a key: finishes a partial chunk's rewrite a dead process left (crypto/appender.ts). */
	async recover(uploadId: string): Promise<void> {
		if (this.key) await recoverRedo(this.bytesPath(uploadId));
	}

	async removeBytes(uploadId: string): Promise<void> {
		await fsp.rm(`${this.bytesPath(uploadId)}.redo`, { force: true });
		await fsp.rm(this.bytesPath(uploadId), { force: true });
		await fsp.rm(path.join(this.directory, `${uploadId}.json`), { force: true });
	}

	source(uploadId: string, read: OpenOptions): Source {
		return localSource(this.bytesPath(uploadId), read);
	}
}

/** `<name>` files in one directory, written through a temporary file and a rename. */
export class LocalBlobs implements Blobs {
	constructor(
		readonly directory: string,
		readonly key?: MasterKey
	) {}

	#path(name: string): string {
		if (!BLOB_NAME.test(name)) throw new Error(`"${name}" is not a stored picture's name`);
		return path.join(this.directory, name);
	}

	async put(name: string, bytes: Buffer): Promise<void> {
		const target = this.#path(name);
		const partial = `${target}.${process.pid}.${Date.now()}.part`;
		try {
			// A full disk is the contract's 507, not a 500.
			await fsp.writeFile(partial, this.key ? encryptBuffer(this.key, bytes) : bytes).catch((error: unknown) => {
				throw diskFull(error) ?? error;
			});
			await fsp.rename(partial, target);
		} finally {
			await fsp.rm(partial, { force: true });
		}
	}

	async open(name: string, what: string) {
		const file = this.#path(name);
		const stat = await fsp.stat(file).catch(() => undefined);
		if (!stat) return undefined;
		// Clear ones of before encryption was on are WebP: `RIFF`.
		return { file: await openStored(file, { key: this.key, what, clearPrefix: WEBP }), modified: stat.mtime };
	}

	async remove(name: string): Promise<void> {
		await fsp.rm(this.#path(name), { force: true });
	}

	async list(): Promise<Array<{ name: string; modified: number }>> {
		const names = await fsp.readdir(this.directory).catch(() => [] as string[]);
		const out: Array<{ name: string; modified: number }> = [];
		for (const name of names) {
			if (!BLOB_NAME.test(name)) continue;
			const stat = await fsp.stat(path.join(this.directory, name)).catch(() => undefined);
			if (stat) out.push({ name, modified: stat.mtimeMs });
		}
		return out;
	}
}
