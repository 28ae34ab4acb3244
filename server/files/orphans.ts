import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { BLOB_NAME, type Blobs } from './storage/types.js';

/** Ids looked up per statement. */
const CHUNK = 500;

export interface OrphanSweepDeps {
	db: Kysely<Database>;
	thumbs: Blobs;
	pictures: Blobs;
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
	const thumbs = await unreferenced(deps.thumbs, before, async (ids) => {
		const rows = await deps.db.selectFrom('files').select('id').where('id', 'in', ids).execute();
		return rows.map((r) => r.id);
	});
	const pictures = await unreferenced(deps.pictures, before, async (ids) => {
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

/** Removes the stored `<id>.webp` objects older than `before` whose id `referenced` does not name. */
async function unreferenced(blobs: Blobs, before: number, referenced: (ids: string[]) => Promise<string[]>): Promise<number> {
	const old: string[] = [];
	for (const { name, modified } of await blobs.list()) {
		const id = BLOB_NAME.exec(name)?.[1];
		if (id && modified < before) old.push(id);
	}
	let removed = 0;
	for (let i = 0; i < old.length; i += CHUNK) {
		const ids = old.slice(i, i + CHUNK);
		const keep = new Set(await referenced(ids));
		for (const id of ids) {
			if (keep.has(id)) continue;
			await blobs.remove(`${id}.webp`);
			removed++;
		}
	}
	return removed;
}
