import type { Kysely } from 'kysely';

// Groups (docs/PROTOCOL.md, "Groups"): a thread of kind `group` has a title, a topic, a picture and,
// once its last member has left, the time it closed; each member has a role. Plain nullable columns
// and a NOT NULL column with a constant default, added by ALTER TABLE one at a time: the same on
// SQLite (which adds one column per statement), PostgreSQL and MySQL/MariaDB. Existing members (of
// private threads) get role `member`, which private threads never look at.

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('threads').addColumn('title', 'varchar(100)').execute();
	await db.schema.alterTable('threads').addColumn('topic', 'text').execute();
	await db.schema.alterTable('threads').addColumn('avatar_id', 'varchar(32)').execute();
	await db.schema.alterTable('threads').addColumn('closed_at', 'varchar(24)').execute();
	await db.schema
		.alterTable('thread_members')
		.addColumn('role', 'varchar(8)', (c) => c.notNull().defaultTo('member'))
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('thread_members').dropColumn('role').execute();
	for (const column of ['closed_at', 'avatar_id', 'topic', 'title']) await db.schema.alterTable('threads').dropColumn(column).execute();
}
