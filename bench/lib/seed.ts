// Users with signed-in sessions written straight into a Parley database, for benchmarks that need
// thousands of them: registering through the API costs an argon2 hash and a mailed code each. The
// rows are what a registration and a login write (the project's own ids, token hashes and repository
// row types), with one real argon2 hash of `SEEDED_PASSWORD` shared by every user. Each session's bearer
// token is returned; the server then hands out chat tickets for it through its real endpoint.
import { hashToken, newToken } from '../../server/auth/sessions.js';
import { insertFriendship } from '../../server/chat/friends/friends.repository.js';
import { ensurePrivateThread } from '../../server/chat/conversations/threads.repository.js';
import type { UserRow } from '../../server/auth/auth.repository.js';
import type { SessionsTable as SessionRow } from '../../server/auth/auth.table.js';
import { hashPassword } from '../../server/auth/passwords.js';
import { openDatabase } from '../../server/db/database.js';
import { newId, nowIso } from '../../server/db/ids.js';
import { migrateToLatest } from '../../server/db/migrate.js';

export const SEEDED_PASSWORD = 'bench password 1';

export interface SeededUser {
	userId: string;
	username: string;
	sessionId: string;
	/** The session's bearer token. */
	token: string;
}

export interface SeedOptions {
	/** DATABASE_URL (migrated to the latest schema first). */
	databaseUrl: string;
	count: number;
	/** Usernames are PREFIX + index. Default `bench`. */
	prefix?: string;
	/** Rows per insert statement. Default 500. */
	batch?: number;
}

export async function seedUsers(options: SeedOptions): Promise<SeededUser[]> {
	const { count, prefix = 'bench', batch = 500 } = options;
	const db = await openDatabase({ url: options.databaseUrl });
	try {
		await migrateToLatest(db.db);
		const passwordHash = await hashPassword(SEEDED_PASSWORD);
		const now = Date.now();
		const created = new Date(now).toISOString();
		const expires = new Date(now + 30 * 86_400_000).toISOString();
		const users: SeededUser[] = [];
		for (let from = 0; from < count; from += batch) {
			const rows: Array<{ user: UserRow; session: SessionRow }> = [];
			for (let i = from; i < Math.min(count, from + batch); i++) {
				const username = `${prefix}${i}`;
				const seeded = { userId: newId(now), username, sessionId: newId(now), token: newToken() };
				users.push(seeded);
				rows.push({
					user: {
						id: seeded.userId,
						username,
						username_key: username.toLowerCase(),
						email: `${username}@bench.test`,
						email_key: `${username.toLowerCase()}@bench.test`,
						display_name: `Bench ${i}`,
						bio: '',
						password_hash: passwordHash,
						created_at: created,
						updated_at: created
					},
					session: { id: seeded.sessionId, user_id: seeded.userId, token_hash: hashToken(seeded.token), user_agent: 'bench', ip: '127.0.0.1', created_at: created, expires_at: expires }
				});
			}
			// The repository's rows, many to a statement: one insert per row took 23 s for 50,000 on a busy machine.
			await db.db.transaction().execute(async (trx) => {
				await trx.insertInto('users').values(rows.map((r) => r.user)).execute();
				await trx.insertInto('sessions').values(rows.map((r) => r.session)).execute();
			});
		}
		return users;
	} finally {
		await db.close();
	}
}

export interface SeededPair {
	threadId: string;
	users: [SeededUser, SeededUser];
}

/** Users and sessions (bench/lib/seed.ts), then each pair's friendship and private thread, straight into the database. */
export async function seedPairs(databaseUrl: string, count: number, prefix: string): Promise<SeededPair[]> {
	const users = await seedUsers({ databaseUrl, count: 2 * count, prefix });
	const db = await openDatabase({ url: databaseUrl });
	try {
		const now = nowIso();
		const pairs: SeededPair[] = [];
		for (let p = 0; p < count; p++) {
			const [a, b] = [users[2 * p], users[2 * p + 1]];
			const threadId = await db.db.transaction().execute(async (trx) => {
				const id = await ensurePrivateThread(trx, a.userId, b.userId, now);
				await insertFriendship(trx, a.userId, b.userId, id, now);
				return id;
			});
			pairs.push({ threadId, users: [a, b] });
		}
		return pairs;
	} finally {
		await db.close();
	}
}
