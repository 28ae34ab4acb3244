import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { touchSessions } from './devices.repository.js';

/** `last_seen_at` is written at most this often per session. */
export const LAST_SEEN_EVERY_MS = 60_000;

/**
 * Records that a session was used, cheaply: callers pass the `last_seen_at` they already read with the
 * session, and only a value older than a minute (or none) costs a write, so a busy session writes once
 * a minute at most and a message never writes at all (sockets touch only at the handshake). The write
 * is awaited but never fails the caller: a missed "last seen" is not worth refusing a request for.
 */
export async function noteSeen(db: Kysely<Database>, log: Logger, sessionId: string, lastSeenAt: string | null | undefined, now = Date.now()): Promise<void> {
	const staleBefore = new Date(now - LAST_SEEN_EVERY_MS).toISOString();
	if (lastSeenAt && lastSeenAt >= staleBefore) return;
	try {
		await touchSessions(db, [sessionId], new Date(now).toISOString(), staleBefore);
	} catch (error) {
		log.warn(`recording when session ${sessionId} was last seen failed: ${(error as Error).message}`);
	}
}
