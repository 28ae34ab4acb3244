import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** Sets the given profile fields; the database regenerates `display_name_key`. */
export async function updateProfile(db: Q, userId: string, changes: { displayName?: string; bio?: string }, now: string): Promise<void> {
	await db
		.updateTable('users')
		.set({
			...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
			...(changes.bio !== undefined ? { bio: changes.bio } : {}),
			updated_at: now
		})
		.where('id', '=', userId)
		.execute();
}

export function findProfile(db: Q, userId: string) {
	return db.selectFrom('users').select(['id', 'username', 'display_name', 'bio', 'email']).where('id', '=', userId).executeTakeFirst();
}
