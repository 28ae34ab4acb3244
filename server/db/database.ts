import fs from 'node:fs';
import path from 'node:path';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, type Dialect } from 'kysely';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

export interface Db {
	db: Kysely<Database>;
	dialect: DialectName;
	close(): Promise<void>;
}

/** Which dialect a `DATABASE_URL` means. */
export function dialectOf(url: string): DialectName {
	if (url.startsWith('sqlite:')) return 'sqlite';
	if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
	if (/^(mysql|mariadb):\/\//.test(url)) return 'mysql';
	throw new Error(`unsupported database URL "${url}"`);
}

/**
 * Opens the database that `url` names. The drivers load lazily, so a SQLite install never needs pg or
 * mysql2 at run time, and the other way round.
 */
export async function openDatabase(options: {
	url: string;
	poolSize?: number;
	/** PostgreSQL: a pooled connection (idle or in use) closed by the server; the pool replaces it. */
	onIdleError?: (error: Error) => void;
	/**
	 * SQLite's `synchronous` in WAL mode (`SQLITE_SYNCHRONOUS`). `normal` (default): a commit appends to
	 * the WAL without an fsync, which happens at checkpoints; durable across a crash of the process (the
	 * OS has the pages), while a power cut or kernel panic may roll back the commits since the last
	 * fsync, never corrupt the file. `full`: an fsync per commit, durable across power loss too.
	 */
	sqliteSynchronous?: 'normal' | 'full';
}): Promise<Db> {
	const dialectName = dialectOf(options.url);
	let dialect: Dialect;
	if (dialectName === 'sqlite') {
		const { default: SQLite } = await import('better-sqlite3');
		const file = options.url.slice('sqlite:'.length);
		if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
		const sqlite = new SQLite(file === ':memory:' ? ':memory:' : path.resolve(file));
		sqlite.pragma('journal_mode = WAL');
		sqlite.pragma(`synchronous = ${options.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL'}`);
		sqlite.pragma('foreign_keys = ON');
		sqlite.pragma('busy_timeout = 5000');
		// Kysely prepares every query it runs, and better-sqlite3 compiles SQL on each prepare: keep the
		// compiled statements of the most recent texts (a query's text is the same every run; `in`
		// lists of other lengths make new ones, hence the bound). Safe to share: statements run
		// synchronously, and nothing here iterates one (stream()) while another query could reuse it.
		const prepare = sqlite.prepare.bind(sqlite);
		const statements = new Map<string, ReturnType<typeof prepare>>();
		sqlite.prepare = ((source: string) => {
			let statement = statements.get(source);
			if (statement) statements.delete(source);
			else statement = prepare(source);
			statements.set(source, statement);
			if (statements.size > 256) statements.delete(statements.keys().next().value!);
			return statement;
		}) as typeof sqlite.prepare;
		dialect = new SqliteDialect({ database: sqlite });
	} else if (dialectName === 'postgres') {
		const { default: pg } = await import('pg');
		const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
		// An idle pooled connection that the server closes (a restart, a failover, an administrator's
		// pg_terminate_backend: 57P01) is an 'error' event on the pool; with no listener Node would
		// throw it and end the process. The pool drops that connection and opens a new one when needed.
		pool.on('error', (error) => options.onIdleError?.(error));
		// The pool listens only to its idle connections: one checked out (inside a transaction, between
		// its statements) that the server closes emits 'error' to nobody, and Node ends the process (seen
		// on a PostgreSQL restart under traffic). Heard here; its next statement fails, the transaction
		// rolls back, and the pool drops the connection when it is released.
		const inUse = new WeakSet<object>();
		pool.on('acquire', (client) => inUse.add(client));
		pool.on('release', (_error, client) => inUse.delete(client));
		pool.on('connect', (client) => client.on('error', (error) => inUse.has(client) && options.onIdleError?.(error)));
		dialect = new PostgresDialect({ pool });
	} else {
		const mysql = await import('mysql2');
		const uri = options.url.replace(/^mariadb:/, 'mysql:');
		dialect = new MysqlDialect({
			pool: mysql.createPool({ uri, connectionLimit: options.poolSize ?? 10, charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: true })
		});
	}
	const db = new Kysely<Database>({ dialect });
	return { db, dialect: dialectName, close: () => db.destroy() };
}

/** True when `error` is a unique-constraint violation on any of the three dialects. */
export function isUniqueViolation(error: unknown): boolean {
	const e = error as { code?: string; errno?: number } | null;
	if (!e) return false;
	return (
		e.code === '23505' || // postgres
		e.code === 'ER_DUP_ENTRY' ||
		e.errno === 1062 || // mysql / mariadb
		e.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
		e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
	);
}
