import fs from 'node:fs';
import path from 'node:path';
import { dialectOf } from '../db/database.js';
import { BackupError, dumpDatabase, restoreDatabase, sqliteFile, type DatabaseDump } from './database.js';
import { copyTree, firstFile, type CopyCount } from './files.js';

/** Where a deployment keeps what a backup holds (from its Config). */
export interface BackupSource {
	databaseUrl: string;
	dataDir: string;
	uploadDir: string;
}

/** `manifest.json` in a backup directory. */
export interface Manifest {
	format: 'parley-backup';
	version: 1;
	/** When the database was copied: every message acknowledged before it is in the backup. */
	createdAt: string;
	database: DatabaseDump;
	/** DATA_DIR's other files (VAPID keys, dev mailbox) in `data/`, UPLOAD_DIR's in `uploads/`. */
	data: CopyCount;
	uploads: CopyCount;
}

const MANIFEST = 'manifest.json';

/**
 * Backs up a running deployment into a new directory `<out>/parley-<UTC time>`: the database first
 * (consistent as of one moment, see `dumpDatabase`), then the files. A finished upload never changes
 * (a file is its upload's bytes, kept as they are), pictures and thumbnails are renamed into place
 * whole, so every file the database names at that moment is copied whole afterwards; files made
 * later may be copied too, and nothing names them. The directory is written under a `.partial` name
 * and renamed when complete: a backup directory without that suffix is whole.
 */
export async function backup(source: BackupSource, out: string, now = new Date()): Promise<{ dir: string; manifest: Manifest }> {
	const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
	const dir = path.resolve(out, `parley-${stamp}`);
	const partial = `${dir}.partial`;
	if (fs.existsSync(dir)) throw new BackupError(`${dir} exists already`);
	fs.rmSync(partial, { recursive: true, force: true });
	fs.mkdirSync(partial, { recursive: true });
	try {
		const createdAt = new Date().toISOString();
		const database = await dumpDatabase(source.databaseUrl, partial);
		const dataDir = path.resolve(source.dataDir);
		const uploadDir = path.resolve(source.uploadDir);
		// Not DATA_DIR's database (in the dump already), its uploads (copied next), nor backups kept inside it.
		const skip = new Set([uploadDir, path.resolve(out), partial]);
		if (dialectOf(source.databaseUrl) === 'sqlite') {
			const db = sqliteFile(source.databaseUrl);
			for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) skip.add(f);
		}
		const data = await copyTree(dataDir, path.join(partial, 'data'), skip);
		const uploads = await copyTree(uploadDir, path.join(partial, 'uploads'), new Set([path.resolve(out), partial]));
		const manifest: Manifest = { format: 'parley-backup', version: 1, createdAt, database, data, uploads };
		fs.writeFileSync(path.join(partial, MANIFEST), `${JSON.stringify(manifest, null, '\t')}\n`);
		fs.renameSync(partial, dir);
		return { dir, manifest };
	} catch (error) {
		fs.rmSync(partial, { recursive: true, force: true });
		throw error;
	}
}

/** Reads and checks a backup directory's manifest. */
export function readManifest(dir: string): Manifest {
	const file = path.join(dir, MANIFEST);
	if (!fs.existsSync(file)) throw new BackupError(`${dir} is not a complete Parley backup: it has no ${MANIFEST}`);
	const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Manifest>;
	if (manifest.format !== 'parley-backup' || manifest.version !== 1 || !manifest.database) throw new BackupError(`${file} is not a Parley backup manifest of version 1`);
	return manifest as Manifest;
}

/**
 * Restores a backup into a deployment that has nothing yet: its DATA_DIR and UPLOAD_DIR hold no
 * file and its database is empty (checked before anything is written; nothing is ever overwritten).
 * Run it with Parley stopped, then start Parley: migrations bring an older backup's schema up to date.
 */
export async function restore(from: string, target: BackupSource): Promise<Manifest> {
	const manifest = readManifest(from);
	const sqlite = dialectOf(target.databaseUrl) === 'sqlite' ? sqliteFile(target.databaseUrl) : undefined;
	for (const dir of [target.dataDir, target.uploadDir]) {
		const found = firstFileBut(path.resolve(dir), sqlite);
		if (found) throw new BackupError(`${found} exists: restore into a fresh DATA_DIR and UPLOAD_DIR (move the old ones away first)`);
	}
	await restoreDatabase(target.databaseUrl, from, manifest.database);
	await copyTree(path.join(from, 'uploads'), target.uploadDir);
	await copyTree(path.join(from, 'data'), target.dataDir, new Set([path.resolve(target.uploadDir)]));
	return manifest;
}

/** A file under `dir` other than an empty SQLite database at `sqlite` (restoreDatabase checks that one). */
function firstFileBut(dir: string, sqlite: string | undefined): string | undefined {
	const found = firstFile(dir);
	if (!found || !sqlite || !found.startsWith(sqlite)) return found;
	const others = fs.readdirSync(dir, { recursive: true }) as string[];
	return others.map((p) => path.join(dir, p)).find((p) => !p.startsWith(sqlite) && fs.statSync(p).isFile());
}
