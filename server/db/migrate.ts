import { Migrator, type Kysely } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { log } from '../logger.js';

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
	const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
	const { error, results } = await migrator.migrateToLatest();
	for (const r of results ?? []) {
		if (r.status === 'Success') log.child('db').info(`migration "${r.migrationName}" applied`);
		else if (r.status === 'Error') log.child('db').error(`migration "${r.migrationName}" failed`);
	}
	if (error) throw error instanceof Error ? error : new Error(String(error));
}
