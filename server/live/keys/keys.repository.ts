import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../../db/database.js';
import type { Database } from '../../db/schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** When `userId`'s key was made; undefined when they have none. */
export async function keyCreatedAt(db: Q, userId: string): Promise<string | undefined> {
	const row = await db.selectFrom('stream_keys').select('created_at').where('user_id', '=', userId).executeTakeFirst();
	return row?.created_at;
}

/**
 * Stores `keyHash` as `userId`'s key, replacing the one they had: from this statement on, the old
 * key finds no row. Update first, insert when there was none; two regenerations at once that both
 * found none race to insert, and the loser updates the winner's row (the last write wins, as it would
 * one after the other).
 */
export async function replaceKey(db: Q, userId: string, keyHash: string, createdAt: string): Promise<void> {
	const update = () => db.updateTable('stream_keys').set({ key_hash: keyHash, created_at: createdAt }).where('user_id', '=', userId).executeTakeFirst();
	if (Number((await update()).numUpdatedRows) > 0) return;
	try {
		await db.insertInto('stream_keys').values({ user_id: userId, key_hash: keyHash, created_at: createdAt }).execute();
	} catch (error) {
		if (!isUniqueViolation(error)) throw error;
		await update();
	}
}

/** Deletes `userId`'s key; false when they had none. */
export async function deleteKey(db: Q, userId: string): Promise<boolean> {
	const result = await db.deleteFrom('stream_keys').where('user_id', '=', userId).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** Whose key has this hash; undefined when nobody's. */
export async function ownerOfHash(db: Q, keyHash: string): Promise<string | undefined> {
	const row = await db.selectFrom('stream_keys').select('user_id').where('key_hash', '=', keyHash).executeTakeFirst();
	return row?.user_id;
}
