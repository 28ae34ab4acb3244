import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { dialectOf, openDatabase, type DialectName } from '../db/database.js';

/** How a backup holds the database: the file in the backup directory and the tool that made it. */
export interface DatabaseDump {
	dialect: DialectName;
	/** File name inside the backup directory. */
	file: string;
	/** What made it: `sqlite-backup-api`, `pg_dump` or `mariadb-dump` (with its version line). */
	tool: string;
}

/** A failure of backup or restore, with words for the operator (no stack trace is needed). */
export class BackupError extends Error {}

const FILES: Record<DialectName, string> = { sqlite: 'database.sqlite', postgres: 'database.pgdump', mysql: 'database.sql' };

/**
 * Dumps the database `url` names into `dir`, consistent as of one moment while the server keeps
 * writing: SQLite through its online backup API, copying every page in one step (one read
 * transaction: WAL readers never block writers, and a step that copies all never restarts);
 * PostgreSQL with `pg_dump` (one repeatable-read snapshot); MySQL/MariaDB with `mariadb-dump
 * --single-transaction` (one consistent InnoDB read).
 */
export async function dumpDatabase(url: string, dir: string): Promise<DatabaseDump> {
	const dialect = dialectOf(url);
	const file = FILES[dialect];
	const target = path.join(dir, file);
	if (dialect === 'sqlite') {
		const source = sqliteFile(url);
		if (!fs.existsSync(source)) throw new BackupError(`no SQLite database at ${source} (DATABASE_URL/DATA_DIR)`);
		const { default: SQLite } = await import('better-sqlite3');
		const db = new SQLite(source, { fileMustExist: true });
		try {
			db.pragma('busy_timeout = 5000');
			await db.backup(target, { progress: () => 0x7fffffff });
		} finally {
			db.close();
		}
		const copy = new SQLite(target, { readonly: true });
		try {
			const check = copy.pragma('quick_check', { simple: true });
			if (check !== 'ok') throw new BackupError(`the copied database fails SQLite's quick_check: ${String(check)}`);
		} finally {
			copy.close();
		}
		return { dialect, file, tool: 'sqlite-backup-api' };
	}
	if (dialect === 'postgres') {
		await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${target}`, `--dbname=${url}`]);
		return { dialect, file, tool: await version('pg_dump') };
	}
	const my = mysqlArgs(url);
	const dump = await firstTool(['mariadb-dump', 'mysqldump']);
	await run(dump, ['--single-transaction', '--routines', '--triggers', '--no-tablespaces', '--default-character-set=utf8mb4', `--result-file=${target}`, ...my.args, my.database], my.env);
	return { dialect, file, tool: await version(dump) };
}

/**
 * Loads a dump into the database `url` names, which must be empty (a fresh SQLite path, or a
 * PostgreSQL/MySQL database with no tables): a restore never overwrites data.
 */
export async function restoreDatabase(url: string, dir: string, dump: DatabaseDump): Promise<void> {
	const dialect = dialectOf(url);
	if (dialect !== dump.dialect) throw new BackupError(`the backup holds a ${dump.dialect} database but DATABASE_URL names ${dialect}; restore into the same kind (or move the data with the other tool yourself)`);
	const source = path.join(dir, dump.file);
	if (!fs.existsSync(source)) throw new BackupError(`the backup has no ${dump.file}`);
	if (dialect === 'sqlite') {
		const target = sqliteFile(url);
		for (const f of [target, `${target}-wal`, `${target}-shm`]) {
			if (fs.existsSync(f) && fs.statSync(f).size > 0) throw new BackupError(`${f} exists: restore into a fresh path (move the old database away first)`);
		}
		fs.mkdirSync(path.dirname(target), { recursive: true });
		// Empty files (a database created but never written) are nothing to keep.
		for (const f of [target, `${target}-wal`, `${target}-shm`]) fs.rmSync(f, { force: true });
		fs.copyFileSync(source, target, fs.constants.COPYFILE_EXCL);
		return;
	}
	await mustBeEmpty(url);
	if (dialect === 'postgres') {
		await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${url}`, source]);
		return;
	}
	const my = mysqlArgs(url);
	await run(await firstTool(['mariadb', 'mysql']), [...my.args, '--default-character-set=utf8mb4', my.database], my.env, source);
}

/** The file a `sqlite:` URL names, resolved. */
export function sqliteFile(url: string): string {
	const file = url.slice('sqlite:'.length);
	if (file === ':memory:') throw new BackupError('DATABASE_URL is sqlite::memory:, which has nothing to back up');
	return path.resolve(file);
}

async function mustBeEmpty(url: string): Promise<void> {
	const { db, dialect, close } = await openDatabase({ url, poolSize: 1 });
	try {
		const schema = dialect === 'postgres' ? sql`current_schema()` : sql`database()`;
		const { rows } = await sql<{ n: number | string }>`select count(*) as n from information_schema.tables where table_schema = ${schema}`.execute(db);
		const n = Number(rows[0]?.n ?? 0);
		if (n > 0) throw new BackupError(`the database DATABASE_URL names has ${n} tables: restore into an empty database (create a new one, or drop this one first)`);
	} finally {
		await close();
	}
}

/** The mysql client tools' arguments for a `mysql://` URL; the password goes in MYSQL_PWD, never argv. */
function mysqlArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv; database: string } {
	const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
	const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
	if (!database) throw new BackupError('DATABASE_URL names no database');
	const args = [`--host=${u.hostname || '127.0.0.1'}`, `--port=${u.port || '3306'}`, '--protocol=tcp'];
	if (u.username) args.push(`--user=${decodeURIComponent(u.username)}`);
	const env = { ...process.env };
	if (u.password) env.MYSQL_PWD = decodeURIComponent(u.password);
	return { args, env, database };
}

async function firstTool(names: string[]): Promise<string> {
	for (const name of names) if (await version(name).then(() => true, () => false)) return name;
	throw new BackupError(`none of ${names.join(', ')} is on PATH: install the database's client tools (Debian: mariadb-client)`);
}

async function version(tool: string): Promise<string> {
	return (await run(tool, ['--version'])).trim().split('\n')[0];
}

/** Runs a tool, its stdin from `stdinFile` when given; resolves to its stdout, rejects with its stderr. */
function run(tool: string, args: string[], env: NodeJS.ProcessEnv = process.env, stdinFile?: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(tool, args, { env, stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.stderr.on('data', (d: Buffer) => (err += d.toString()));
		if (stdinFile && child.stdin) fs.createReadStream(stdinFile).on('error', reject).pipe(child.stdin);
		child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new BackupError(`${tool} is not on PATH: install the database's client tools`) : e));
		child.on('close', (code) => (code === 0 ? resolve(out) : reject(new BackupError(`${tool} failed (exit ${code}): ${err.trim() || out.trim()}`))));
	});
}
