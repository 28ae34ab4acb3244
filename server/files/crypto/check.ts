import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../config/values.js';
import { decryptBuffer, DecryptError, encryptBuffer, type MasterKey } from './format.js';

/** `UPLOAD_DIR/.encryption`: a known value encrypted with the master key, made when encryption is first on. */
export const CHECK_FILE = '.encryption';
const KNOWN = Buffer.from('parley files encrypted at rest', 'utf8');

/**
 * At start-up, before any file is read or written: with a key, the check file must decrypt under it
 * (made on the first start with a key); without one, there must be no check file, since the files
 * would be unreadable. Throws a ConfigError naming FILES_ENCRYPTION_KEY, so nothing starts that would
 * serve garbage or mix files of two keys.
 */
export function checkMasterKey(uploadDir: string, key: MasterKey | undefined): 'made' | 'matches' | 'off' {
	const file = path.join(uploadDir, CHECK_FILE);
	let stored: Buffer | undefined;
	try {
		stored = fs.readFileSync(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
	}
	const verdict = judgeCheck(stored, key, `UPLOAD_DIR (${uploadDir})`);
	if (verdict === 'make') {
		writeCheck(file, key!);
		return 'made';
	}
	return verdict;
}

/**
 * The start-up check of any store, given what its check object holds (undefined: none): 'make' when
 * a key meets none (the caller stores `checkValue(key)`), else 'matches' or 'off', or a ConfigError.
 * `where` names the store in the error ("UPLOAD_DIR (…)", "the bucket …").
 */
export function judgeCheck(stored: Buffer | undefined, key: MasterKey | undefined, where: string): 'make' | 'matches' | 'off' {
	if (!key) {
		if (stored) throw new ConfigError('FILES_ENCRYPTION_KEY', `is not set, but the files in ${where} are encrypted (${CHECK_FILE} is there): set FILES_ENCRYPTION_KEY or FILES_ENCRYPTION_KEY_FILE to the key they were encrypted with`);
		return 'off';
	}
	if (!stored) return 'make';
	let plain: Buffer;
	try {
		plain = decryptBuffer(key, stored, CHECK_FILE);
	} catch (error) {
		if (!(error instanceof DecryptError)) throw error;
		throw new ConfigError('FILES_ENCRYPTION_KEY', `does not match the key the files were encrypted with (in ${where}: ${error.message}); set the key they were encrypted with, or rotate to this one with npm run files:rotate-key`);
	}
	if (!plain.equals(KNOWN)) throw new ConfigError('FILES_ENCRYPTION_KEY', `does not match the key the files were encrypted with (${CHECK_FILE} in ${where} holds another value)`);
	return 'matches';
}

/** What a check file or object holds for `key`. */
export function checkValue(key: MasterKey): Buffer {
	return encryptBuffer(key, KNOWN);
}

/** (Re)writes the check file for `key`, through a temporary file so a reader never sees half of one. */
export function writeCheck(file: string, key: MasterKey): void {
	const partial = `${file}.${process.pid}.part`;
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(partial, checkValue(key));
	fs.renameSync(partial, file);
}
