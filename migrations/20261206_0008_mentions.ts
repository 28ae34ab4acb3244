import type { Kysely } from 'kysely';

// Mentions in groups (docs/PROTOCOL.md, "Groups"): who a group message mentions, one row per person
// and message, written with the message. The primary key leads with the person, so "my unread mentions
// in these threads" is one range per thread.

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('mentions')
		.addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('thread_id', 'varchar(32)', (c) => c.notNull().references('threads.id').onDelete('cascade'))
		.addColumn('seq', 'integer', (c) => c.notNull())
		.addPrimaryKeyConstraint('mentions_pk', ['user_id', 'thread_id', 'seq'])
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('mentions').execute();
}
