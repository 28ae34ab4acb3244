import type { Kysely } from 'kysely';

// Chat nodes hold a lease in the database they share, renewed by heartbeat. Without Redis a second
// chat node must not start against the same database (its presence, tickets and socket rooms would be
// invisible to the first); the lease is how it finds out. Rows: `chat` for the one node that runs
// without Redis, `chat:<nodeId>` for each node of a Redis cluster. A lease whose holder crashed
// expires by itself (`expires_at`, a fixed-width ISO time string like every other time here).

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('node_leases')
		.addColumn('name', 'varchar(160)', (c) => c.primaryKey())
		.addColumn('node_id', 'varchar(128)', (c) => c.notNull())
		.addColumn('mode', 'varchar(16)', (c) => c.notNull())
		.addColumn('url', 'varchar(2048)', (c) => c.notNull())
		.addColumn('started_at', 'varchar(24)', (c) => c.notNull())
		.addColumn('expires_at', 'varchar(24)', (c) => c.notNull())
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('node_leases').execute();
}
