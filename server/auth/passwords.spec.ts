import { describe, expect, it } from 'vitest';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';

describe('passwords', () => {
	it("hash with argon2id at OWASP's parameters (m=19456 KiB, t=2, p=1), salted", async () => {
		const a = await hashPassword('correct horse battery staple');
		const b = await hashPassword('correct horse battery staple');
		expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
		expect(a).not.toBe(b);
		expect(a).not.toContain('correct horse');
		expect(a.length).toBeLessThanOrEqual(255);
	});

	it('verify the right password only, byte for byte', async () => {
		const hash = await hashPassword("' OR 1=1 -- 😀");
		expect(await verifyPassword(hash, "' OR 1=1 -- 😀")).toBe(true);
		expect(await verifyPassword(hash, "' OR 1=1 -- 😀 ")).toBe(false);
		expect(await verifyPassword(hash, "' or 1=1 -- 😀")).toBe(false);
		expect(await verifyPassword(hash, '')).toBe(false);
	});

	it('a damaged hash is a failed check, not an exception', async () => {
		expect(await verifyPassword('not a hash', 'whatever')).toBe(false);
		expect(await verifyPassword('', 'whatever')).toBe(false);
	});

	it('the dummy check for unknown users resolves without a result', async () => {
		await expect(verifyAgainstDummy('anything')).resolves.toBeUndefined();
	});
});
