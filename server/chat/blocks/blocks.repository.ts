import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/database.js';

type Q = Kysely<Database> | Transaction<Database>;

/** Stores the block; false when it was there already. */
export async function insertBlock(db: Q, blocker: string, blocked: string, now: string): Promise<boolean> {
	try {
		await db.insertInto('blocks').values({ blocker_id: blocker, blocked_id: blocked, created_at: now }).execute();
		return true;
	} catch (error) {
		if (isUniqueViolation(error)) return false;
		throw error;
	}
}

/** Removes the block; false when there was none. */
export async function deleteBlock(db: Q, blocker: string, blocked: string): Promise<boolean> {
	const result = await db.deleteFrom('blocks').where('blocker_id', '=', blocker).where('blocked_id', '=', blocked).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** Who blocked whom between two users: `aBlockedB`, `bBlockedA`. One query. */
export async function between(db: Q, a: string, b: string): Promise<{ aBlockedB: boolean; bBlockedA: boolean }> {
	const rows = await db
		.selectFrom('blocks')
		.select(['blocker_id'])
		.where((eb) => eb.or([eb.and([eb('blocker_id', '=', a), eb('blocked_id', '=', b)]), eb.and([eb('blocker_id', '=', b), eb('blocked_id', '=', a)])]))
		.execute();
	return { aBlockedB: rows.some((r) => r.blocker_id === a), bBlockedA: rows.some((r) => r.blocker_id === b) };
}

/** The ids a user blocked, newest first (at most 1000). */
export async function blockedBy(db: Q, blocker: string): Promise<string[]> {
	const rows = await db.selectFrom('blocks').select('blocked_id').where('blocker_id', '=', blocker).orderBy('created_at', 'desc').limit(1000).execute();
	return rows.map((r) => r.blocked_id);
}

/** Of `userIds`, those who blocked `userId`. One query; empty input reads nothing. */
export async function blockersOf(db: Q, userId: string, userIds: readonly string[]): Promise<Set<string>> {
	if (userIds.length === 0) return new Set();
	const rows = await db.selectFrom('blocks').select('blocker_id').where('blocked_id', '=', userId).where('blocker_id', 'in', [...userIds]).execute();
	return new Set(rows.map((r) => r.blocker_id));
}

/** Blocks between one user and many, both ways: whom `userId` blocked among them, and who blocked `userId`. */
export async function blocksAround(db: Q, userId: string, userIds: readonly string[]): Promise<{ blocked: string[]; blockers: string[] }> {
	if (userIds.length === 0) return { blocked: [], blockers: [] };
	const ids = [...userIds];
	const rows = await db
		.selectFrom('blocks')
		.select(['blocker_id', 'blocked_id'])
		.where((eb) => eb.or([eb.and([eb('blocker_id', '=', userId), eb('blocked_id', 'in', ids)]), eb.and([eb('blocked_id', '=', userId), eb('blocker_id', 'in', ids)])]))
		.execute();
	return { blocked: rows.filter((r) => r.blocker_id === userId).map((r) => r.blocked_id), blockers: rows.filter((r) => r.blocked_id === userId).map((r) => r.blocker_id) };
}
