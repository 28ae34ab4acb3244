import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { UsersTable } from './auth.table.js';

type Q = Kysely<Database> | Transaction<Database>;

export type UserRow = UsersTable;

export function findUserById(db: Q, id: string) {
	return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** By lower-cased username or email, whichever `loginKey` is. */
export function findUserByLogin(db: Q, loginKey: string) {
	return db
		.selectFrom('users')
		.selectAll()
		.where((eb) => eb.or([eb('username_key', '=', loginKey), eb('email_key', '=', loginKey)]))
		.executeTakeFirst();
}

export function findUserByEmail(db: Q, emailKey: string) {
	return db.selectFrom('users').selectAll().where('email_key', '=', emailKey).executeTakeFirst();
}

export async function usernameExists(db: Q, usernameKey: string): Promise<boolean> {
	return (await db.selectFrom('users').select('id').where('username_key', '=', usernameKey).executeTakeFirst()) !== undefined;
}

export async function insertUser(db: Q, row: UserRow): Promise<void> {
	await db.insertInto('users').values(row).execute();
}

export async function updatePasswordHash(db: Q, userId: string, passwordHash: string, now: string): Promise<void> {
	await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).execute();
}

export async function insertSession(
	db: Q,
	row: { id: string; user_id: string; token_hash: string; user_agent: string | null; ip: string | null; created_at: string; expires_at: string }
): Promise<void> {
	await db.insertInto('sessions').values(row).execute();
}

/** The live session whose token hashes to `tokenHash`, with its user. */
export function findLiveSession(db: Q, tokenHash: string, now: string) {
	return db
		.selectFrom('sessions')
		.innerJoin('users', 'users.id', 'sessions.user_id')
		.select(['sessions.id as session_id', 'sessions.expires_at', 'sessions.last_seen_at'])
		.selectAll('users')
		.where('sessions.token_hash', '=', tokenHash)
		.where('sessions.expires_at', '>', now)
		.executeTakeFirst();
}

export async function deleteSession(db: Q, sessionId: string): Promise<void> {
	await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Deletes every session of a user and returns their ids, so their sockets can be told. */
export async function deleteSessionsOfUser(db: Q, userId: string): Promise<string[]> {
	const rows = await db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute();
	if (rows.length > 0) await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
	return rows.map((r) => r.id);
}
