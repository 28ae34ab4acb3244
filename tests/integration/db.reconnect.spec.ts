import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.js';
import { backendNames, createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from '../helpers/backends.js';

// PostgreSQL closes a pooled connection under Parley when it restarts, fails over, or an administrator
// terminates the backend (57P01). The pool reports that as an 'error' event; unheard, Node would throw
// it and the whole process would end. Parley must hear it, say so, and go on with a new connection.
describe.skipIf(!backendNames().includes('postgres'))('postgres: a connection closed by the server', () => {
	let database: TestDatabase;
	let db: Db;
	const heard: Error[] = [];

	beforeAll(async () => {
		database = await createTestDatabase('postgres');
		db = await openDatabase({ url: database.url, poolSize: 3, onIdleError: (error) => heard.push(error) });
	});
	afterAll(async () => {
		await db?.close();
		await database?.drop();
	});

	it('is reported, not thrown, and the next query runs on a fresh connection', async () => {
		// Three connections open at once, then idle in the pool.
		await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.05)`.execute(db.db)));
		const dbName = new URL(database.url).pathname.slice(1);
		const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
		await admin.connect();
		let killedCount = 0;
		try {
			const killed = await admin.query('select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
			killedCount = killed.rowCount ?? 0;
			expect(killedCount).toBeGreaterThanOrEqual(1);
		} finally {
			await admin.end();
		}
		// Every closed connection is reported; until then a query could still be handed one of them (the
		// pool cannot know before the server's notice arrives), which is not what this test is about.
		await expect.poll(() => heard.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(killedCount);
		expect(heard.every((e) => /terminat/i.test(e.message))).toBe(true);
		const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db.db);
		expect(Number(rows[0].one)).toBe(1);
	});
});
