import type { Kysely } from 'kysely';

// Blocks (docs/PROTOCOL.md, "Unfriend and block"): who blocked whom, since when. One row per pair and
// direction (the primary key), so blocking twice stores one; the index on `blocked_id` answers "who
// blocked this user" when they try to reach someone.
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('blocks')
		.addColumn('blocker_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('blocked_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.addPrimaryKeyConstraint('blocks_pk', ['blocker_id', 'blocked_id'])
		.execute();
	await db.schema.createIndex('blocks_blocked').on('blocks').columns(['blocked_id', 'blocker_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('blocks').execute();
}
