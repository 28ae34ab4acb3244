import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A 20-character id: 10 characters of millisecond time then 10 random (50 bits), in Crockford base32,
 * so ids sort by creation time and need no round trip to the database to learn.
 */
export function newId(now = Date.now()): string {
	let time = '';
	let t = now;
	for (let i = 0; i < 10; i++) {
		time = ALPHABET[t % 32] + time;
		t = Math.floor(t / 32);
	}
	const bytes = randomBytes(10);
	let rand = '';
	for (let i = 0; i < 10; i++) rand += ALPHABET[bytes[i] % 32];
	return time + rand;
}

/** Now, as stored: ISO 8601 UTC with milliseconds (always 24 characters). */
export function nowIso(offsetMs = 0): string {
	return new Date(Date.now() + offsetMs).toISOString();
}
