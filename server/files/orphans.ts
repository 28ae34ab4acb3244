import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';

const STORED = /^([0-9a-z]{1,32})\.webp$/;
/** Ids looked up per statement. */
const CHUNK = 500;

export interface OrphanSweepDeps {
	db: Kysely<Database>;
	thumbsDir: string;
	avatarsDir: string;
	log: Logger;
}

/**
 * Removes thumbnails whose file is gone and pictures no user or group shows, once they are older than
 * `olderThanMs` (the upload expiry: far longer than the moment between writing a picture and recording
 * it). They are left behind where the database changed without this role: an account deleted on a
 * gateway that does not run the files role (its uploads' bytes go with the expiry sweep). Resolves to
 * how many went.
 */
export async function sweepOrphans(deps: OrphanSweepDeps, olderThanMs: number): Promise<number> {
	const before = Date.now() - olderThanMs;
	const thumbs = await unreferenced(deps.thumbsDir, before, async (ids) => {
		const rows = await deps.db.selectFrom('files').select('id').where('id', 'in', ids).execute();
		return rows.map((r) => r.id);
	});
	const pictures = await unreferenced(deps.avatarsDir, before, async (ids) => {
		const [users, groups] = await Promise.all([
			deps.db.selectFrom('users').select('avatar').where('avatar', 'in', ids).execute(),
			deps.db.selectFrom('threads').select('avatar_id').where('avatar_id', 'in', ids).execute()
		]);
		return [...users.map((r) => r.avatar), ...groups.map((r) => r.avatar_id)].filter((id): id is string => id !== null);
	});
	const removed = thumbs + pictures;
	if (removed > 0) deps.log.info(`removed ${thumbs} thumbnail(s) and ${pictures} picture(s) nothing refers to any more`);
	return removed;
}

/** Removes the stored `<id>.webp` files in `dir` older than `before` whose id `referenced` does not name. */
async function unreferenced(dir: string, before: number, referenced: (ids: string[]) => Promise<string[]>): Promise<number> {
	const names = await fsp.readdir(dir).catch(() => [] as string[]);
	const old: string[] = [];
	for (const name of names) {
		const id = STORED.exec(name)?.[1];
		if (!id) continue;
		const stat = await fsp.stat(path.join(dir, name)).catch(() => undefined);
		if (stat && stat.mtimeMs < before) old.push(id);
	}
	let removed = 0;
	for (let i = 0; i < old.length; i += CHUNK) {
		const ids = old.slice(i, i + CHUNK);
		const keep = new Set(await referenced(ids));
		for (const id of ids) {
			if (keep.has(id)) continue;
			await fsp.rm(path.join(dir, `${id}.webp`), { force: true });
			removed++;
		}
	}
	return removed;
}
