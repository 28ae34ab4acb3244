import { SqliteAdapter, type Kysely, type Transaction } from 'kysely';
import { avatarUrl, type Profile } from '../../src/lib/protocol/index.js';
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
	return db.selectFrom('users').select(['id', 'username', 'display_name', 'bio', 'email', 'avatar']).where('id', '=', userId).executeTakeFirst();
}

export type ProfileRow = NonNullable<Awaited<ReturnType<typeof findProfile>>>;

/** The signed-in user as `PATCH /api/me` (and the avatar calls) answer. */
export function toProfile(row: ProfileRow): Profile {
	return { id: row.id, username: row.username, displayName: row.display_name, email: row.email, bio: row.bio, avatarUrl: row.avatar ? avatarUrl(row.avatar) : null };
}

/**
 * Sets (or, with null, clears) the user's picture; returns the id it replaced, for its file to go.
 * The read (a locking one) and the write are one transaction, so two changes at once each learn their
 * own predecessor and no picture is left behind unreferenced.
 */
export async function setAvatar(db: Kysely<Database>, userId: string, avatarId: string | null, now: string): Promise<string | null> {
	return db.transaction().execute(async (trx) => {
		let read = trx.selectFrom('users').select('avatar').where('id', '=', userId);
		// SQLite has no FOR UPDATE (and runs one writer at a time anyway).
		if (!(trx.getExecutor().adapter instanceof SqliteAdapter)) read = read.forUpdate();
		const before = await read.executeTakeFirst();
		await trx.updateTable('users').set({ avatar: avatarId, updated_at: now }).where('id', '=', userId).execute();
		return before?.avatar ?? null;
	});
}
