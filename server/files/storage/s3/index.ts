import type { S3StoreConfig } from '../../../config/files-store.js';
import type { OpenOptions } from '../../crypto/stored.js';
import { TrackedStore } from '../tracked.js';
import { Uploads, type Blobs, type FileStorage, type Source, type UploadEntry, type UploadRecord } from '../types.js';
import { bufferFile, isMissing, listKeys, openObject } from './objects.js';
import { loadParleyS3Store, type ParleyS3Store } from './store.js';

/**
 * An S3-compatible bucket, Parley's alone: uploads at its root as tus's S3 store lays them out
 * (`<id>`, `<id>.info`, `<id>.part`), thumbnails under `thumbs/`, pictures under `avatars/`. Every
 * gateway pointed at the bucket sees the same files: none needs a shared disk.
 */
export async function s3Storage(config: S3StoreConfig, options: { expiryMs: number }): Promise<FileStorage> {
	const ParleyS3Store = await loadParleyS3Store();
	const store = new ParleyS3Store({
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
	});
	return {
		kind: 's3',
		where: `bucket "${config.bucket}" at ${config.endpoint}`,
		tus: new TrackedStore(store),
		uploads: new S3Uploads(store),
		thumbs: new S3Blobs(store, 'thumbs/'),
		pictures: new S3Blobs(store, 'avatars/'),
		close: async () => store.s3.destroy()
	};
}

const INFO = '.info';

export class S3Uploads extends Uploads {
	constructor(readonly store: ParleyS3Store) {
		super();
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
		if (read.key) throw new Error('uploads on S3 are never encrypted by Parley');
		return { open: () => openObject(this.store.s3, this.store.bucketName, uploadId, read.what ?? `upload "${uploadId}"`) };
	}
}

/** Small objects under a prefix of the bucket, each written whole by one PUT. */
export class S3Blobs implements Blobs {
	constructor(
		readonly store: ParleyS3Store,
		readonly prefix: string
	) {}

	#key(name: string): string {
		if (!/^[0-9a-z]{1,32}\.webp$/.test(name)) throw new Error(`"${name}" is not a stored picture's name`);
		return this.prefix + name;
	}

	async put(name: string, bytes: Buffer): Promise<void> {
		await this.store.s3.putObject({ Bucket: this.store.bucketName, Key: this.#key(name), Body: bytes, ContentType: 'image/webp' });
	}

	async open(name: string, what: string) {
		try {
			const { Body, LastModified } = await this.store.s3.getObject({ Bucket: this.store.bucketName, Key: this.#key(name) });
			const bytes = Buffer.from((await Body?.transformToByteArray()) ?? []);
			return { file: bufferFile(bytes, `s3://${this.store.bucketName}/${this.#key(name)} (${what})`), modified: LastModified ?? new Date(0) };
		} catch (error) {
			if (isMissing(error)) return undefined;
			throw error;
		}
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
