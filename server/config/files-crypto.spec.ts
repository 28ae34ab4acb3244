import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesEncryptionKey } from './files-crypto.js';
import { ConfigError } from './values.js';

describe('filesEncryptionKey', () => {
	it('reads a base64 key of 32 bytes from the variable or from a file', () => {
		const raw = randomBytes(32);
		expect(filesEncryptionKey({ FILES_ENCRYPTION_KEY: raw.toString('base64') })?.key).toEqual(raw);
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-key-'));
		try {
			const file = path.join(dir, 'key');
			fs.writeFileSync(file, `${raw.toString('base64')}\n`);
			expect(filesEncryptionKey({ FILES_ENCRYPTION_KEY_FILE: file })?.key).toEqual(raw);
			expect(() => filesEncryptionKey({ FILES_ENCRYPTION_KEY_FILE: path.join(dir, 'none') })).toThrow(/FILES_ENCRYPTION_KEY_FILE names .* cannot be read: ENOENT/);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
		expect(filesEncryptionKey({})).toBeUndefined();
	});

	it('refuses anything else with a ConfigError naming the variable, never echoing the key', () => {
		const secret = randomBytes(16).toString('base64');
		for (const bad of [secret, randomBytes(33).toString('base64'), randomBytes(32).toString('hex'), randomBytes(32).toString('base64url').replace(/[A-Za-z0-9]/g, '-')]) {
			let error: unknown;
			try {
				filesEncryptionKey({ FILES_ENCRYPTION_KEY: bad });
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(ConfigError);
			expect((error as Error).message).toMatch(/^config: FILES_ENCRYPTION_KEY is no base64 key of exactly 32 bytes/);
			expect((error as Error).message).not.toContain(bad);
		}
		expect(() => filesEncryptionKey({ FILES_ENCRYPTION_KEY: randomBytes(32).toString('base64'), FILES_ENCRYPTION_KEY_FILE: '/x' })).toThrow(/both set/);
	});
});
