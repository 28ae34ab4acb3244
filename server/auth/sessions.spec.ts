import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, hashToken, newToken, SESSION_COOKIE, sessionCookie } from './sessions.js';

describe('session tokens', () => {
	it('carry 256 random bits, base64url', () => {
		const token = newToken();
		expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(Buffer.from(token, 'base64url')).toHaveLength(32);
	});

	it('are never the same twice', () => {
		const tokens = new Set(Array.from({ length: 1_000 }, newToken));
		expect(tokens.size).toBe(1_000);
	});

	it('are stored as their sha256, hex, which fits the 64-character column', () => {
		const token = newToken();
		expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
		expect(hashToken(token)).toBe(hashToken(token));
		expect(hashToken(token)).not.toBe(hashToken(newToken()));
		expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
	});
});

describe('the session cookie', () => {
	it('is HttpOnly, SameSite=Lax, for the whole site, with a Max-Age', () => {
		const cookie = sessionCookie('tok', { maxAgeSeconds: 2_592_000, secure: false });
		expect(cookie).toBe(`${SESSION_COOKIE}=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000`);
		expect(SESSION_COOKIE).toBe('parley_session');
	});

	it('is Secure when asked', () => {
		expect(sessionCookie('tok', { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
	});

	it('is cleared with an empty value and Max-Age=0, keeping the same attributes', () => {
		expect(clearedSessionCookie(false)).toBe('parley_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
		expect(clearedSessionCookie(true)).toMatch(/; Secure$/);
	});
});
