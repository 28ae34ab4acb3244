import { PostgresAdapter, SqliteAdapter, sql, type Kysely } from 'kysely';

// Friends, threads and messages. Portable across SQLite, PostgreSQL and MySQL/MariaDB, as the
// accounts migration: string ids, fixed-width ISO time strings, varchar for anything indexed.

export async function up(db: Kysely<any>): Promise<void> {
	const adapter = db.getExecutor().adapter;
	const postgres = adapter instanceof PostgresAdapter;
	const sqlite = adapter instanceof SqliteAdapter;

	// Display-name search is case-insensitive on every dialect through a lower-cased copy. A generated
	// column keeps itself right on every insert and rename, so no other code has to remember it (and
	// existing rows are filled at once). PostgreSQL before 18 only has STORED; SQLite can only ADD a
	// VIRTUAL one; MariaDB indexes VIRTUAL columns.
	await db.schema
		.alterTable('users')
		.addColumn('display_name_key', 'varchar(64)', (c) => {
			const generated = c.generatedAlwaysAs(sql`lower(display_name)`);
			return postgres ? generated.stored() : generated;
		})
		.execute();
	if (postgres) {
		// Prefix LIKE only uses a btree index under the C collation, or with the pattern operator class.
		await sql`CREATE INDEX users_username_prefix ON users (username_key varchar_pattern_ops)`.execute(db);
		await sql`CREATE INDEX users_display_name_prefix ON users (display_name_key varchar_pattern_ops)`.execute(db);
	} else if (sqlite) {
		// SQLite's LIKE is case-insensitive, so its prefix optimisation needs a NOCASE index.
		await sql`CREATE INDEX users_username_prefix ON users (username_key COLLATE NOCASE)`.execute(db);
		await sql`CREATE INDEX users_display_name_prefix ON users (display_name_key COLLATE NOCASE)`.execute(db);
	} else {
		await db.schema.createIndex('users_display_name_prefix').on('users').column('display_name_key').execute();
	}

	await db.schema
		.createTable('friend_requests')
		.addColumn('id', 'varchar(32)', (c) => c.primaryKey())
		.addColumn('from_user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('to_user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('message', 'varchar(200)', (c) => c.notNull().defaultTo(''))
		.addColumn('status', 'varchar(12)', (c) => c.notNull())
		// "<smaller id>:<larger id>" while pending, NULL after: at most one pending request per pair, in
		// either direction, even when both people ask each other at the same moment.
		.addColumn('pending_key', 'varchar(70)', (c) => c.unique())
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.addColumn('responded_at', 'varchar(24)')
		.execute();
	await db.schema.createIndex('friend_requests_to').on('friend_requests').columns(['to_user_id', 'status']).execute();
	await db.schema.createIndex('friend_requests_from').on('friend_requests').columns(['from_user_id', 'status']).execute();

	await db.schema
		.createTable('threads')
		.addColumn('id', 'varchar(32)', (c) => c.primaryKey())
		.addColumn('kind', 'varchar(12)', (c) => c.notNull())
		// "<smaller id>:<larger id>" for private threads, so opening one is idempotent under races.
		.addColumn('private_key', 'varchar(70)', (c) => c.unique())
		// The seq of the newest message; the row is locked while a message takes the next one.
		.addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
		// The newest message's time, else created_at. Never NULL (unlike a last_message_at would be), so
		// the keyset order of threads:list is the same on every dialect: they disagree on where NULLs sort.
		.addColumn('updated_at', 'varchar(24)', (c) => c.notNull())
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('threads_updated').on('threads').columns(['updated_at', 'id']).execute();

	await db.schema
		.createTable('thread_members')
		.addColumn('thread_id', 'varchar(32)', (c) => c.notNull().references('threads.id').onDelete('cascade'))
		.addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('delivered_seq', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('read_seq', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('joined_at', 'varchar(24)', (c) => c.notNull())
		.addPrimaryKeyConstraint('thread_members_pk', ['thread_id', 'user_id'])
		.execute();
	await db.schema.createIndex('thread_members_user').on('thread_members').columns(['user_id', 'thread_id']).execute();

	await db.schema
		.createTable('friendships')
		.addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('friend_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('thread_id', 'varchar(32)', (c) => c.notNull().references('threads.id'))
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.addPrimaryKeyConstraint('friendships_pk', ['user_id', 'friend_id'])
		.execute();

	await db.schema
		.createTable('messages')
		.addColumn('id', 'varchar(32)', (c) => c.primaryKey())
		.addColumn('thread_id', 'varchar(32)', (c) => c.notNull().references('threads.id').onDelete('cascade'))
		.addColumn('seq', 'integer', (c) => c.notNull())
		.addColumn('sender_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('client_id', 'varchar(36)', (c) => c.notNull())
		.addColumn('kind', 'varchar(8)', (c) => c.notNull())
		.addColumn('text', 'text')
		.addColumn('file_id', 'varchar(32)')
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		// Pages of history are ranges of this index; it also makes a seq impossible to hand out twice.
		.addUniqueConstraint('messages_thread_seq', ['thread_id', 'seq'])
		// A resend with the same clientId finds the first message instead of storing a copy.
		.addUniqueConstraint('messages_sender_client', ['sender_id', 'client_id'])
		.execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('messages').execute();
	await db.schema.dropTable('friendships').execute();
	await db.schema.dropTable('thread_members').execute();
	await db.schema.dropTable('threads').execute();
	await db.schema.dropTable('friend_requests').execute();
	const adapter = db.getExecutor().adapter;
	if (!(adapter instanceof PostgresAdapter) && !(adapter instanceof SqliteAdapter)) {
		await db.schema.dropIndex('users_display_name_prefix').on('users').execute();
	} else {
		await db.schema.dropIndex('users_display_name_prefix').execute();
		await db.schema.dropIndex('users_username_prefix').execute();
	}
	await db.schema.alterTable('users').dropColumn('display_name_key').execute();
}
