import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The databases every integration suite runs against. `TEST_BACKENDS` (comma list, default all three)
 * narrows it; `scripts/test.mjs` sets it after checking which servers answer, and CI demands all.
 */
export type BackendName = 'sqlite' | 'postgres' | 'mysql';

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_ADMIN_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function backendNames(): BackendName[] {
	const raw = process.env.TEST_BACKENDS ?? 'sqlite,postgres,mysql';
	return raw.split(',').map((s) => s.trim()).filter(Boolean) as BackendName[];
}

export interface TestDatabase {
	name: BackendName;
	url: string;
	/** Drops the database (or deletes the file). */
	drop(): Promise<void>;
}

/** A fresh, empty database of the given kind, private to the caller. */
export async function createTestDatabase(name: BackendName): Promise<TestDatabase> {
	const dbName = `parley_t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
	if (name === 'sqlite') {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
		const file = path.join(dir, 'parley.db');
		new Database(file).close();
		return { name, url: `sqlite:${file}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
	}
	if (name === 'postgres') {
		const { default: pg } = await import('pg');
		const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
		await admin.connect();
		await admin.query(`CREATE DATABASE ${dbName}`);
		await admin.end();
		const url = new URL(POSTGRES_ADMIN_URL);
		url.pathname = `/${dbName}`;
		return {
			name,
			url: url.toString(),
			drop: async () => {
				const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
				await c.connect();
				await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
				await c.end();
			}
		};
	}
	const mysql = await import('mysql2/promise');
	const admin = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
	await admin.query(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
	await admin.end();
	const url = new URL(MYSQL_ADMIN_URL);
	url.pathname = `/${dbName}`;
	return {
		name,
		url: url.toString(),
		drop: async () => {
			const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
			await c.query(`DROP DATABASE IF EXISTS ${dbName}`);
			await c.end();
		}
	};
}
