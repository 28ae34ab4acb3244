import type { StoreConfig } from '../../config/files-store.js';
import { ConfigError } from '../../config/values.js';
import type { MasterKey } from '../crypto/format.js';
import { localStorage } from './local.js';
import type { FileStorage } from './types.js';

/**
 * The store FILES_STORE names: the local disk under UPLOAD_DIR when none, else an S3-compatible
 * bucket. Encryption at rest (FILES_ENCRYPTION_KEY) is the local disk's only, for now: on S3 a tus
 * upload's parts cannot be rewritten, which the chunked format's last partial chunk needs.
 */
export async function openStorage(config: StoreConfig | undefined, options: { uploadDir: string; expiryMs: number; key?: MasterKey }): Promise<FileStorage> {
	if (!config) return localStorage(options);
	if (options.key) {
		throw new ConfigError(
			'FILES_STORE',
			"is an S3 bucket, and Parley's encryption at rest (FILES_ENCRYPTION_KEY) works on the local disk only for now: unset FILES_ENCRYPTION_KEY and turn on the bucket's own server-side encryption, or keep files on the local disk"
		);
	}
	// Loaded only for a bucket: see s3/store.ts.
	const { s3Storage } = await import('./s3/index.js');
	return s3Storage(config, { expiryMs: options.expiryMs });
}
