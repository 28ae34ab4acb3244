import type { S3 } from '@aws-sdk/client-s3';
import type { MetadataValue, S3Store } from '@tus/s3-store';
import type { KvStore } from '@tus/server';
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
	 * - the record cache is bounded (the parent's keeps every upload this process ever saw).
	 */
	class ParleyS3Store extends Base {
		readonly #records: BoundedKv<MetadataValue>;

		constructor(options: { s3: S3Options['s3ClientConfig']; expiryMs: number }) {
			const records = new BoundedKv<MetadataValue>(CACHED);
			super({ s3ClientConfig: options.s3, expirationPeriodInMilliseconds: options.expiryMs, useTags: false, cache: records });
			this.#records = records;
			this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
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

export type ParleyS3Store = InstanceType<Awaited<ReturnType<typeof loadParleyS3Store>>>;
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
