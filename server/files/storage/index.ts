import type { StoreConfig } from '../../config/files-store.js';
import type { MasterKey } from '../crypto/format.js';
import { localStorage } from './local.js';
import type { FileStorage } from './types.js';

/**
 * The store FILES_STORE names: the local disk under UPLOAD_DIR when none, else an S3-compatible
 * bucket. Either stores files encrypted at rest with FILES_ENCRYPTION_KEY, in the same format
 * (crypto/format.ts). Encrypting the files of before the key and rotating the key (files:rotate-key)
 * are the local disk's only.
 */
export async function openStorage(config: StoreConfig | undefined, options: { uploadDir: string; expiryMs: number; key?: MasterKey }): Promise<FileStorage> {
	if (!config) return localStorage(options);
	// Loaded only for a bucket: see s3/store.ts.
	const { s3Storage } = await import('./s3/index.js');
	return s3Storage(config, { expiryMs: options.expiryMs, key: options.key });
}
