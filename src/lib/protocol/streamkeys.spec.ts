import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isStreamKeyShaped } from './streamkeys';

describe('isStreamKeyShaped', () => {
	it('takes 32 bytes in base64url without padding, and nothing else', () => {
		for (let i = 0; i < 50; i++) expect(isStreamKeyShaped(randomBytes(32).toString('base64url'))).toBe(true);
		const key = randomBytes(32).toString('base64url');
		for (const bad of [randomBytes(32).toString('base64'), `${key}=`, key.slice(1), `${key}a`, ` ${key}`, `${key}\n`, '', null, undefined, 43, { key }]) {
			expect(isStreamKeyShaped(bad), JSON.stringify(bad)).toBe(false);
		}
	});
});
