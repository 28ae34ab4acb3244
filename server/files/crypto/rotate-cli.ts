// `npm run files:rotate-key`: see docs/DEPLOY.md, "Files encrypted at rest". With Parley stopped,
// FILES_ENCRYPTION_KEY the new key and FILES_ENCRYPTION_OLD_KEY (or …_OLD_KEY_FILE) the old one, and
// the server's UPLOAD_DIR (or DATA_DIR).
import { filesEncryptionOldKey } from '../../config/files-crypto.js';
import { ConfigError, loadConfig } from '../../config.js';
import { DecryptError } from './format.js';
import { rotateKey } from './rotate.js';

async function main(): Promise<void> {
	const config = loadConfig(process.env);
	const newKey = config.filesEncryptionKey;
	if (!newKey) throw new ConfigError('FILES_ENCRYPTION_KEY', 'is not set: set it to the new key (and FILES_ENCRYPTION_OLD_KEY to the old one)');
	// A bucket's objects cannot have their header rewritten in place (S3 objects are written whole).
	if (config.filesStore) throw new ConfigError('FILES_STORE', `is a bucket: files:rotate-key rewraps the files on the local disk (UPLOAD_DIR) only; rotating a bucket's key is not supported yet`);
	const oldKey = filesEncryptionOldKey(process.env);
	const result = await rotateKey({ uploadDir: config.uploadDir, oldKey, newKey, progress: (line) => console.log(`files:rotate-key: ${line}`) });
	console.log(`files:rotate-key: ${config.uploadDir} is now under the new key (${result.rewrapped + result.already} encrypted files); start Parley with FILES_ENCRYPTION_KEY alone`);
}

main().catch((error: unknown) => {
	const known = error instanceof ConfigError || error instanceof DecryptError;
	console.error(known ? `error: ${(error as Error).message}` : error);
	process.exit(1);
});
