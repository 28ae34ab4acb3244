import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** What a user card needs, and nothing secret. */
export interface CardRow {
	id: string;
	username: string;
	display_name: string;
	bio: string;
	/** The picture's id, null for none (server/files/avatars.ts). */
	avatar?: string | null;
	/** When the account was deleted (a tombstone card); null or absent: live. */
	deleted_at?: string | null;
}

const CARD_COLUMNS = ['users.id', 'users.username', 'users.display_name', 'users.bio', 'users.avatar', 'users.deleted_at'] as const;

export function findCard(db: Q, userId: string): Promise<CardRow | undefined> {
	return db.selectFrom('users').select(CARD_COLUMNS).where('id', '=', userId).executeTakeFirst();
}

export async function findCards(db: Q, userIds: string[]): Promise<Map<string, CardRow>> {
	if (userIds.length === 0) return new Map();
	const rows = await db.selectFrom('users').select(CARD_COLUMNS).where('id', 'in', [...new Set(userIds)]).execute();
	return new Map(rows.map((r) => [r.id, r]));
}

/** `s` made safe inside a LIKE pattern whose escape character is `!` (the same literal on every dialect). */
export function escapeLike(s: string): string {
	return s.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * Users whose username or display name starts with `prefix` (already lower-cased), ignoring case,
 * except `excludeId` and deleted accounts, by username. Both columns are lower-cased keys with prefix indexes.
 */
export function searchByPrefix(db: Q, options: { prefix: string; excludeId: string; limit: number }): Promise<CardRow[]> {
	const pattern = `${escapeLike(options.prefix)}%`;
	return db
		.selectFrom('users')
		.select(CARD_COLUMNS)
		.where((eb) => eb.or([sql<boolean>`username_key LIKE ${pattern} ESCAPE '!'`, sql<boolean>`display_name_key LIKE ${pattern} ESCAPE '!'`]))
		.where('id', '!=', options.excludeId)
		.where('deleted_at', 'is', null)
		.orderBy('username_key')
		.limit(options.limit)
		.execute();
}
