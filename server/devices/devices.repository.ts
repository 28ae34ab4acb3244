import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** The user's live (unexpired) sessions, as Settings > Devices lists them. */
export function liveSessionsOfUser(db: Q, userId: string, now: string) {
	return db
		.selectFrom('sessions')
		.select(['id', 'user_agent', 'ip', 'created_at', 'last_seen_at'])
		.where('user_id', '=', userId)
		.where('expires_at', '>', now)
		.execute();
}

/** Deletes one session of this user; false when it is not theirs or does not exist. */
export async function deleteSessionOfUser(db: Q, userId: string, sessionId: string): Promise<boolean> {
	const result = await db.deleteFrom('sessions').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** Deletes every session of the user but `keep`, and returns their ids so their sockets can be told. */
export async function deleteOtherSessions(db: Q, userId: string, keep: string): Promise<string[]> {
	const rows = await db.selectFrom('sessions').select('id').where('user_id', '=', userId).where('id', '<>', keep).execute();
	if (rows.length === 0) return [];
	const ids = rows.map((r) => r.id);
	await db.deleteFrom('sessions').where('user_id', '=', userId).where('id', 'in', ids).execute();
	return ids;
}

/**
 * Sets the sessions' `last_seen_at` to `now` unless it is already at or after `staleBefore`:
 * concurrent requests of one session (or several nodes) write it once. One statement for many (the
 * connected sockets' sweep) or one (a request).
 */
export async function touchSessions(db: Q, sessionIds: string[], now: string, staleBefore: string): Promise<void> {
	if (sessionIds.length === 0) return;
	await db
		.updateTable('sessions')
		.set({ last_seen_at: now })
		.where('id', 'in', sessionIds)
		.where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', staleBefore)]))
		.execute();
}

/** A live session's `last_seen_at` (null before its first touch), or undefined when it is not live. */
export async function liveSessionLastSeen(db: Q, sessionId: string, now: string): Promise<string | null | undefined> {
	const row = await db.selectFrom('sessions').select('last_seen_at').where('id', '=', sessionId).where('expires_at', '>', now).executeTakeFirst();
	return row ? (row.last_seen_at ?? null) : undefined;
}
