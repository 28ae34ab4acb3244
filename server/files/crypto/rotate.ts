import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CHECK_FILE, writeCheck } from './check.js';
import { decryptBuffer, DecryptError, hasMagic, HEADER_SIZE, KEY_ID_BYTES, type MasterKey } from './format.js';

export interface RotateOptions {
	/** UPLOAD_DIR. */
	uploadDir: string;
	/** FILES_ENCRYPTION_OLD_KEY: the key the files are encrypted with now. */
	oldKey: MasterKey;
	/** FILES_ENCRYPTION_KEY: the key they are to be encrypted with. */
	newKey: MasterKey;
	/** Told of progress (a line every 1,000 files, and the end). Default: nothing. */
	progress?: (line: string) => void;
}

export interface RotateResult {
	/** Headers rewritten for the new key. */
	rewrapped: number;
	/** Already under the new key (a rotation cut off and run again). */
	already: number;
	/** Stored clear (from before encryption was on): left as they are. */
	clear: number;
}

/** The directories of UPLOAD_DIR whose files may be encrypted. */
const DIRS = ['tus', 'thumbs', 'avatars'];

/**
 * Re-wraps every file's key for `newKey`, rewriting each file's 80-byte header in place and nothing
 * else, then the check file. Run it with Parley stopped. Resumable: a file already under the new key
 * is skipped, and the check file, written last, names the new key only once every file is done (until
 * then Parley refuses to start with the new key, and a second run finishes the job).
 */
export async function rotateKey(options: RotateOptions): Promise<RotateResult> {
	const { uploadDir, oldKey, newKey, progress = () => undefined } = options;
	if (oldKey.id.equals(newKey.id)) throw new DecryptError('FILES_ENCRYPTION_OLD_KEY and FILES_ENCRYPTION_KEY are the same key: nothing to rotate');
	const check = path.join(uploadDir, CHECK_FILE);
	if (!fs.existsSync(check)) throw new DecryptError(`${check} is missing: the files in UPLOAD_DIR were never encrypted (or this is not UPLOAD_DIR)`);
	const stored = fs.readFileSync(check);
	if (!underKey(stored, oldKey) && !underKey(stored, newKey)) throw new DecryptError(`FILES_ENCRYPTION_OLD_KEY is not the key the files in ${uploadDir} are encrypted with (nor is FILES_ENCRYPTION_KEY)`);
	const result: RotateResult = { rewrapped: 0, already: 0, clear: 0 };
	let seen = 0;
	for (const dir of DIRS) {
		const names = await fsp.readdir(path.join(uploadDir, dir)).catch(() => [] as string[]);
		for (const name of names) {
			// Records, and files still being written aside (renamed into place when whole).
			if (name.endsWith('.json') || name.endsWith('.part') || name.endsWith('.redo')) continue;
			const file = path.join(uploadDir, dir, name);
			const outcome = await rewrapFile(file, oldKey, newKey);
			result[outcome]++;
			if (++seen % 1000 === 0) progress(`${seen} files: ${result.rewrapped} re-wrapped, ${result.already} already done, ${result.clear} clear`);
		}
	}
	writeCheck(check, newKey);
	progress(`done: ${result.rewrapped} re-wrapped, ${result.already} already under the new key, ${result.clear} stored clear (left as they are)`);
	return result;
}

async function rewrapFile(file: string, oldKey: MasterKey, newKey: MasterKey): Promise<keyof RotateResult> {
	const handle = await fsp.open(file, 'r+');
	try {
		if (!(await handle.stat()).isFile()) return 'clear';
		const header = Buffer.alloc(HEADER_SIZE);
		const { bytesRead } = await handle.read(header, 0, HEADER_SIZE, 0);
		if (!hasMagic(header.subarray(0, bytesRead))) return 'clear';
		const keyId = header.subarray(12, 12 + KEY_ID_BYTES);
		if (keyId.equals(newKey.id)) return 'already';
		if (!keyId.equals(oldKey.id)) throw new DecryptError(`${file} is encrypted with neither key (key id ${keyId.toString('hex')})`);
		// One 80-byte write at the start of the file: within one disk sector, so it lands whole or not at all.
		await handle.write(oldKey.rewrap(header, newKey), 0, HEADER_SIZE, 0);
		await handle.sync();
		return 'rewrapped';
	} finally {
		await handle.close();
	}
}

function underKey(stored: Buffer, key: MasterKey): boolean {
	try {
		decryptBuffer(key, stored, CHECK_FILE);
		return true;
	} catch {
		return false;
	}
}
