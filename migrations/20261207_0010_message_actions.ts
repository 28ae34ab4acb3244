import { MysqlAdapter, sql, type Kysely } from 'kysely';

// Message actions (docs/PROTOCOL.md, "Message actions"): edit, delete for everyone, reactions, replies,
// and the per-thread change feed that lets a client catch up on them.
//
// - threads.last_change_seq: the thread's change counter, bumped under the thread row's lock (the lock
//   messages take for their seq) by every edit, delete and reaction, so changes are numbered 1, 2, 3, …
//   per thread in commit order.
// - messages.change_seq: the thread's change number of the message's latest change (0: never changed).
//   "Changes since N" is a range of (thread_id, change_seq): the current state of every message that
//   changed after N, which is all a client that was offline needs.
// - messages.edited_at / deleted_at: an edit updates `text` in place; a delete sets `text` and `file_id`
//   to NULL and keeps the row (its seq) as a tombstone.
// - messages.reply_*: the quoted message's seq and sender and a snippet of it, copied when the reply is
//   sent, so the quote outlives the original.
// - message_edits: earlier texts of edited messages, shown to their sender only; removed on delete.
// - reactions: one row per (message, person, emoji).

export async function up(db: Kysely<any>): Promise<void> {
	const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
	await db.schema.alterTable('threads').addColumn('last_change_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
	// One column per statement: SQLite's ALTER TABLE adds one at a time.
	for (const [name, type] of [
		['edited_at', 'varchar(24)'],
		['deleted_at', 'varchar(24)'],
		['reply_seq', 'integer'],
		['reply_sender_id', 'varchar(32)'],
		['reply_snippet', 'varchar(600)']
	] as const) {
		await db.schema.alterTable('messages').addColumn(name, type).execute();
	}
	await db.schema.alterTable('messages').addColumn('change_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
	await db.schema.createIndex('messages_thread_change').on('messages').columns(['thread_id', 'change_seq']).execute();

	await db.schema
		.createTable('message_edits')
		.addColumn('id', 'varchar(32)', (c) => c.primaryKey())
		.addColumn('message_id', 'varchar(32)', (c) => c.notNull().references('messages.id').onDelete('cascade'))
		.addColumn('text', 'text', (c) => c.notNull())
		.addColumn('edited_at', 'varchar(24)', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('message_edits_message').on('message_edits').columns(['message_id', 'id']).execute();

	await db.schema
		.createTable('reactions')
		.addColumn('message_id', 'varchar(32)', (c) => c.notNull().references('messages.id').onDelete('cascade'))
		.addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		// MariaDB's default utf8mb4 collations compare many different emoji as equal, which would make
		// 🍣 and 🍺 one key: compare the bytes there. PostgreSQL and SQLite compare exactly already.
		.addColumn('emoji', mysql ? sql`varchar(32) character set utf8mb4 collate utf8mb4_bin` : 'varchar(32)', (c) => c.notNull())
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.addPrimaryKeyConstraint('reactions_pk', ['message_id', 'user_id', 'emoji'])
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('reactions').execute();
	await db.schema.dropTable('message_edits').execute();
	const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
	const drop = db.schema.dropIndex('messages_thread_change');
	await (mysql ? drop.on('messages') : drop).execute();
	for (const name of ['change_seq', 'reply_snippet', 'reply_sender_id', 'reply_seq', 'deleted_at', 'edited_at']) {
		await db.schema.alterTable('messages').dropColumn(name).execute();
	}
	await db.schema.alterTable('threads').dropColumn('last_change_seq').execute();
}
