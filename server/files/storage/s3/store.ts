import type { S3 } from '@aws-sdk/client-s3';
import type { MetadataValue, S3Store } from '@tus/s3-store';
import type { Readable } from 'node:stream';
import type { KvStore, Upload } from '@tus/server';
import { isMissing } from './objects.js';

/** Upload records kept in memory per process: the newest this many (each is a few hundred bytes). */
const CACHED = 1000;

/**
 * Loads tus's S3 store (and with it the AWS SDK) and returns Parley's subclass of it. Only a process
 * that keeps files in a bucket pays for the SDK: importing it costs about 190 ms and 27 MB at start.
 */
export async function loadParleyS3Store() {
	const { S3Store: Base } = await import('@tus/s3-store');
	/**
	 * tus's S3 store: an upload is a multipart upload of the object `<id>`, its record the object
	 * `<id>.info`, and bytes short of a part (5 MiB) wait in `<id>.part`. Changed here:
	 * - no `creation-defer-length`, as on the local disk;
	 * - `remove` also takes a finished upload away (the parent's fails on it: it aborts the multipart
	 *   upload, which is gone once completed) and its `.part`;
	 * - the record cache is bounded (the parent's keeps every upload this process ever saw);
	 * - an empty upload is finished at its creation: tus finishes it without a write, and the parent
	 *   completes the multipart upload only in a write, so its object was never made.
	 */
	class ParleyS3Store extends Base {
		readonly #records: BoundedKv<MetadataValue>;

		constructor(options: { s3: S3Options['s3ClientConfig']; expiryMs: number }) {
			const records = new BoundedKv<MetadataValue>(CACHED);
			super({ s3ClientConfig: options.s3, expirationPeriodInMilliseconds: options.expiryMs, useTags: false, cache: records });
			this.#records = records;
			this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
		}

		override async create(upload: Upload): Promise<Upload> {
			const created = await super.create(upload);
			if (created.size === 0) {
				await this.finishMultipartUpload(await this.getMetadata(created.id), []);
				await this.clearCache(created.id);
			}
			return created;
		}

		override async write(src: Readable, id: string, offset: number): Promise<number> {
			// An empty upload (finished at creation) may still be given its empty creation-with-upload body.
			if ((await this.getMetadata(id)).file.size === 0) {
				src.resume();
				return 0;
			}
			return super.write(src, id, offset);
		}

		/** The store's client, for reads and listings. */
		get s3(): S3 {
			return this.client;
		}

		get bucketName(): string {
			return this.bucket;
		}

		/** The record's JSON as stored, or undefined when there is none. */
		async record(id: string): Promise<{ size?: number; creation_date?: string; metadata?: Record<string, string | null> } | undefined> {
			try {
				return (await this.getMetadata(id)).file;
			} catch (error) {
				if (isMissing(error)) return undefined;
				throw error;
			}
		}

		override async remove(id: string): Promise<void> {
			const uploadId = (await this.getMetadata(id).catch((error: unknown) => (isMissing(error) ? undefined : Promise.reject(error))))?.['upload-id'];
			if (uploadId) {
				await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: id, UploadId: uploadId }).catch((error: unknown) => {
					// Completed (a finished upload) or already aborted.
					if (!isMissing(error)) throw error;
				});
			}
			await this.client.deleteObjects({ Bucket: this.bucket, Delete: { Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }], Quiet: true } });
			await this.#records.delete(id);
		}
	}
	return ParleyS3Store;
}

/** Parley's subclass of tus's S3 store, once loaded. */
export type ParleyS3StoreClass = Awaited<ReturnType<typeof loadParleyS3Store>>;
export type ParleyS3Store = InstanceType<ParleyS3StoreClass>;
/** The options of tus's S3 store this file passes on. */
type S3Options = ConstructorParameters<typeof S3Store>[0];

/** A KvStore that forgets the oldest entries past `max`. */
class BoundedKv<T> implements KvStore<T> {
	readonly #map = new Map<string, T>();
	constructor(readonly max: number) {}

	async get(key: string): Promise<T | undefined> {
		return this.#map.get(key);
	}

	async set(key: string, value: T): Promise<void> {
		this.#map.delete(key);
		this.#map.set(key, value);
		if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!);
	}

	async delete(key: string): Promise<void> {
		this.#map.delete(key);
	}
}
