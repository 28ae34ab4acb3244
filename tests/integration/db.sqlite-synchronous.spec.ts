import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../server/db/database.js';
import { backendNames, createTestDatabase } from '../helpers/backends.js';

// SQLITE_SYNCHRONOUS (docs/DEPLOY.md, "SQLite durability"): NORMAL by default, FULL when asked, WAL always.
describe.skipIf(!backendNames().includes('sqlite'))('sqlite: synchronous', () => {
	it.each([
		[undefined, 1],
		['normal', 1],
		['full', 2]
	] as const)('%s opens the file with synchronous = %i in WAL mode', async (setting, expected) => {
		const database = await createTestDatabase('sqlite');
		const db = await openDatabase({ url: database.url, sqliteSynchronous: setting });
		try {
			const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(db.db);
			expect(rows[0].synchronous).toBe(expected);
			const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.db);
			expect(mode.rows[0].journal_mode).toBe('wal');
		} finally {
			await db.close();
			await database.drop();
		}
	});
});
