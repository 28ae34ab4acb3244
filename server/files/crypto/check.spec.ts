import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ConfigError } from '../../config/values.js';
import { CHECK_FILE, checkMasterKey } from './check.js';
import { MasterKey } from './format.js';

let dir: string;
beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-check-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('is made on the first start with a key, then must match: no key, or another, is a ConfigError naming FILES_ENCRYPTION_KEY', () => {
	const key = new MasterKey(randomBytes(32));
	expect(checkMasterKey(dir, undefined)).toBe('off');
	expect(checkMasterKey(dir, key)).toBe('made');
	expect(fs.existsSync(path.join(dir, CHECK_FILE))).toBe(true);
	expect(checkMasterKey(dir, key)).toBe('matches');
	expect(() => checkMasterKey(dir, undefined)).toThrow(ConfigError);
	expect(() => checkMasterKey(dir, undefined)).toThrow(/FILES_ENCRYPTION_KEY is not set, but the files in UPLOAD_DIR .* are encrypted/);
	expect(() => checkMasterKey(dir, new MasterKey(randomBytes(32)))).toThrow(/FILES_ENCRYPTION_KEY does not match the key the files were encrypted with/);
	// A damaged check file is no reason to guess either.
	const file = path.join(dir, CHECK_FILE);
	const bytes = fs.readFileSync(file);
	bytes[bytes.length - 1] ^= 1;
	fs.writeFileSync(file, bytes);
	expect(() => checkMasterKey(dir, key)).toThrow(/does not match/);
});
