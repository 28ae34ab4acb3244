import type { S3StoreConfig } from '../../../config/files-store.js';
import { decryptBuffer, DecryptError, encryptBuffer, hasMagic, type MasterKey } from '../../crypto/format.js';
import { WEBP, type OpenOptions } from '../../crypto/stored.js';
import { CHECK_FILE, checkValue, judgeCheck } from '../../crypto/check.js';
import { TrackedStore } from '../tracked.js';
import { BLOB_NAME, Uploads, type Blobs, type FileStorage, type Source, type UploadEntry, type UploadRecord } from '../types.js';
import { bufferFile, getWhole, listKeys, openObject } from './objects.js';
import { encryptedS3StoreClass } from './encrypted.js';
import { loadParleyS3Store, type ParleyS3Store } from './store.js';

/**
 * An S3-compatible bucket, Parley's alone: uploads at its root as tus's S3 store lays them out
 * (`<id>`, `<id>.info`, `<id>.part`), thumbnails under `thumbs/`, pictures under `avatars/`. Every
 * gateway pointed at the bucket sees the same files: none needs a shared disk. With a master key
 * (FILES_ENCRYPTION_KEY) every object is stored in the local disk's encrypted format (encrypted.ts).
 */
export async function s3Storage(config: S3StoreConfig, options: { expiryMs: number; key?: MasterKey }): Promise<FileStorage> {
	const ParleyS3Store = await loadParleyS3Store();
	const storeOptions: ConstructorParameters<typeof ParleyS3Store>[0] = {
		s3: {
			bucket: config.bucket,
			endpoint: config.endpoint,
			region: config.region,
			forcePathStyle: config.forcePathStyle,
			// Checksums only where S3 requires them: the SDK's default sends bodies in aws-chunked
			// encoding with checksum trailers, which many S3-compatible servers store as part of the bytes.
			requestChecksumCalculation: 'WHEN_REQUIRED',
			responseChecksumValidation: 'WHEN_REQUIRED',
			// A copy: the SDK marks the credentials object it is given (a frozen one fails).
			...(config.credentials ? { credentials: { ...config.credentials } } : {})
		},
		expiryMs: options.expiryMs
	};
	const store = options.key ? new (encryptedS3StoreClass(ParleyS3Store))({ ...storeOptions, key: options.key }) : new ParleyS3Store(storeOptions);
	return {
		kind: 's3',
		where: `bucket "${config.bucket}" at ${config.endpoint}`,
		tus: new TrackedStore(store),
		uploads: new S3Uploads(store, options.key),
		thumbs: new S3Blobs(store, 'thumbs/', options.key),
		pictures: new S3Blobs(store, 'avatars/', options.key),
		checkKey: () => checkBucketKey(store, options.key, `the bucket "${config.bucket}" at ${config.endpoint}`),
		close: async () => store.s3.destroy()
	};
}

/** The bucket's `.encryption` object, as UPLOAD_DIR's file on the local disk (crypto/check.ts). */
async function checkBucketKey(store: ParleyS3Store, key: MasterKey | undefined, where: string): Promise<'made' | 'matches' | 'off'> {
	const stored = (await getWhole(store.s3, store.bucketName, CHECK_FILE))?.bytes;
	const verdict = judgeCheck(stored, key, where);
	if (verdict !== 'make') return verdict;
	await store.s3.putObject({ Bucket: store.bucketName, Key: CHECK_FILE, Body: checkValue(key!) });
	return 'made';
}

const INFO = '.info';

export class S3Uploads extends Uploads {
	constructor(
		readonly store: ParleyS3Store,
		key?: MasterKey
	) {
		super(key);
	}

	async get(uploadId: string): Promise<UploadRecord | undefined> {
		if (!Uploads.ID.test(uploadId)) return undefined;
		const raw = await this.store.record(uploadId);
		if (!raw) return undefined;
		return { id: uploadId, size: Number(raw.size ?? 0), createdAt: raw.creation_date ? Date.parse(raw.creation_date) : 0, metadata: raw.metadata ?? {} };
	}

	async offset(uploadId: string): Promise<number | undefined> {
		try {
			return (await this.store.getUpload(uploadId)).offset;
		} catch {
			return undefined;
		}
	}

	async list(ownerId?: string): Promise<UploadEntry[]> {
		const out: UploadEntry[] = [];
		// The record's object is written once, at creation: when it was stored is when the upload began.
		for await (const { key, modified } of listKeys(this.store.s3, this.store.bucketName, ownerId === undefined ? '' : `${ownerId}_`, true)) {
			if (!key.endsWith(INFO)) continue;
			const id = key.slice(0, -INFO.length);
			if (Uploads.ID.test(id)) out.push({ id, createdAt: modified });
		}
		return out;
	}

	async recover(): Promise<void> {
		// Nothing is ever half rewritten: S3 objects are written whole.
	}

	async removeBytes(uploadId: string): Promise<void> {
		this.checkId(uploadId);
		await this.store.remove(uploadId);
	}

	source(uploadId: string, read: OpenOptions): Source {
		this.checkId(uploadId);
		return { open: () => openObject(this.store.s3, this.store.bucketName, uploadId, read.what ?? `upload "${uploadId}"`, read) };
	}
}

/** Small objects under a prefix of the bucket, each written whole by one PUT (encrypted whole with a key). */
export class S3Blobs implements Blobs {
	constructor(
		readonly store: ParleyS3Store,
		readonly prefix: string,
		readonly key?: MasterKey
	) {}

	#key(name: string): string {
		if (!BLOB_NAME.test(name)) throw new Error(`"${name}" is not a stored picture's name`);
		return this.prefix + name;
	}

	async put(name: string, bytes: Buffer): Promise<void> {
		await this.store.s3.putObject({ Bucket: this.store.bucketName, Key: this.#key(name), Body: this.key ? encryptBuffer(this.key, bytes) : bytes, ContentType: this.key ? 'application/octet-stream' : 'image/webp' });
	}

	async open(name: string, what: string) {
		const stored = await getWhole(this.store.s3, this.store.bucketName, this.#key(name));
		if (!stored) return undefined;
		const { bytes, modified } = stored;
		const path = `s3://${this.store.bucketName}/${this.#key(name)} (${what})`;
		if (!this.key) return { file: bufferFile(bytes, path), modified };
		if (hasMagic(bytes)) return { file: bufferFile(decryptBuffer(this.key, bytes, what), path, true), modified };
		// Clear ones of before the key was set are WebP: `RIFF`.
		if (bytes.subarray(0, WEBP.length).equals(WEBP)) return { file: bufferFile(bytes, path), modified };
		throw new DecryptError(`${what} has no valid encryption header (${bytes.length} bytes stored): damaged`);
	}

	async remove(name: string): Promise<void> {
		await this.store.s3.deleteObject({ Bucket: this.store.bucketName, Key: this.#key(name) });
	}

	async list(): Promise<Array<{ name: string; modified: number }>> {
		const out: Array<{ name: string; modified: number }> = [];
		for await (const { key, modified } of listKeys(this.store.s3, this.store.bucketName, this.prefix)) out.push({ name: key.slice(this.prefix.length), modified });
		return out;
	}
}
