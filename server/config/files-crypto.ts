import fs from 'node:fs';
import { MasterKey } from '../files/crypto/format.js';
import { ConfigError, optional, type Env } from './values.js';

/** 32 bytes in standard base64 (44 characters, one `=`), as `openssl rand -base64 32` prints. */
const KEY_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/**
 * `FILES_ENCRYPTION_KEY` (base64 of exactly 32 bytes) or `FILES_ENCRYPTION_KEY_FILE` (a file holding
 * that, for secrets mounted as files), not both: the master key files are encrypted at rest with.
 * Neither: files are stored clear. The key itself never appears in an error.
 */
export function filesEncryptionKey(env: Env, name = 'FILES_ENCRYPTION_KEY'): MasterKey | undefined {
	const inline = optional(env, 'FILES_ENCRYPTION_KEY');
	const file = optional(env, 'FILES_ENCRYPTION_KEY_FILE');
	if (inline && file) throw new ConfigError(name, `and ${name}_FILE are both set: set one of them`);
	if (inline) return parseKey(name, inline, 'is');
	if (!file) return undefined;
	let raw: string;
	try {
		raw = fs.readFileSync(file, 'utf8').trim();
	} catch (error) {
		throw new ConfigError(`${name}_FILE`, `names "${file}", which cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	return parseKey(`${name}_FILE`, raw, `names "${file}", which holds`);
}

function parseKey(variable: string, raw: string, says: string): MasterKey {
	if (!KEY_BASE64.test(raw)) {
		throw new ConfigError(variable, `${says} no base64 key of exactly 32 bytes (${raw.length} characters, a key has 44); make one with: openssl rand -base64 32`);
	}
	return new MasterKey(Buffer.from(raw, 'base64'));
}

/** `FILES_ENCRYPTION_OLD_KEY` (or `…_OLD_KEY_FILE`), required: the key `npm run files:rotate-key` rotates from. */
export function filesEncryptionOldKey(env: Env): MasterKey {
	const key = filesEncryptionKey({ FILES_ENCRYPTION_KEY: env.FILES_ENCRYPTION_OLD_KEY, FILES_ENCRYPTION_KEY_FILE: env.FILES_ENCRYPTION_OLD_KEY_FILE }, 'FILES_ENCRYPTION_OLD_KEY');
	if (!key) throw new ConfigError('FILES_ENCRYPTION_OLD_KEY', 'is not set: set it to the key the files are encrypted with now (FILES_ENCRYPTION_KEY to the new one)');
	return key;
}
