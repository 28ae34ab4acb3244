import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

// Random bytes for ids, drawn 4 KiB at a time: a `randomBytes(10)` per id (a buffer and a call into
// OpenSSL each) was 2 % of the send path's CPU (issue 15). The bytes are as random; each is used once.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

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
	if (poolAt + 10 > pool.length) {
		randomFillSync(pool);
		poolAt = 0;
	}
	let rand = '';
	for (let i = 0; i < 10; i++) rand += ALPHABET[pool[poolAt++] % 32];
	return time + rand;
}


/** Now, as stored: ISO 8601 UTC with milliseconds (always 24 characters). */
export function nowIso(offsetMs = 0): string {
	return new Date(Date.now() + offsetMs).toISOString();
}
