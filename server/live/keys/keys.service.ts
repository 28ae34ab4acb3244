import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isStreamKeyShaped, type LiveKeyRegenerateResponse, type LiveKeyResponse } from '../../../src/lib/protocol/index.js';
import type { Limiter } from '../../auth/rate-limits.js';
import { nowIso } from '../../db/ids.js';
import type { Database } from '../../db/schema.js';
import type { Logger } from '../../logger.js';
import * as repo from './keys.repository.js';

/** SHA-256 of a stream key, in hex: what `stream_keys.key_hash` holds. */
export const hashStreamKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Whose stream key this is, for the RTMP server's publish check: `{userId}`, or null for a key of
 * the wrong form (refused before any query) or one nobody holds (never made, replaced or deleted).
 * The look-up is by hash, so no comparison of secrets happens in this process to be timed.
 */
export async function authenticateStreamKey(db: Kysely<Database>, key: unknown): Promise<{ userId: string } | null> {
	if (!isStreamKeyShaped(key)) return null;
	const userId = await repo.ownerOfHash(db, hashStreamKey(key));
	return userId ? { userId } : null;
}

export interface StreamKeysDeps {
	db: Kysely<Database>;
	/** The RTMP URL shown to streamers (`Config.rtmpPublicUrl`). */
	rtmpUrl: string;
	/** Spent by each regeneration, per user (`StreamKeyLimits`). */
	regenerations: Limiter;
	log: Logger;
}

/** Per-user stream keys (docs/PROTOCOL.md, "Stream keys"): shown once, stored hashed, replaced to revoke. */
export class StreamKeysService {
	readonly #deps: StreamKeysDeps;

	constructor(deps: StreamKeysDeps) {
		this.#deps = deps;
	}

	async get(userId: string): Promise<LiveKeyResponse> {
		const createdAt = await repo.keyCreatedAt(this.#deps.db, userId);
		return { key: createdAt ? { createdAt } : null, rtmpUrl: this.#deps.rtmpUrl };
	}

	/** A new key for `userId`, replacing theirs; the only time the key leaves the server. */
	async regenerate(userId: string): Promise<LiveKeyRegenerateResponse> {
		await this.#deps.regenerations.consume(userId);
		const key = randomBytes(32).toString('base64url');
		const createdAt = nowIso();
		await repo.replaceKey(this.#deps.db, userId, hashStreamKey(key), createdAt);
		// Logged without the key: who made one and when is enough to follow a report of misuse.
		this.#deps.log.with({ user: userId }).info('stream key regenerated');
		return { key, createdAt, rtmpUrl: this.#deps.rtmpUrl };
	}

	/** Deletes `userId`'s key; idempotent. False when they had none (nothing changed). */
	async delete(userId: string): Promise<boolean> {
		const deleted = await repo.deleteKey(this.#deps.db, userId);
		if (deleted) this.#deps.log.with({ user: userId }).info('stream key deleted');
		return deleted;
	}
}
