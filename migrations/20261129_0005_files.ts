import type { Kysely } from 'kysely';

// Finished uploads. Portable across SQLite, PostgreSQL and MySQL/MariaDB like the earlier migrations:
// string ids, fixed-width ISO time strings. The bytes live on disk under UPLOAD_DIR, named by the
// server-made upload id; nothing here is a path the client chose.

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('files')
		.addColumn('id', 'varchar(32)', (c) => c.primaryKey())
		.addColumn('owner_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		// The tus upload the bytes came from: one file per upload, however often completion is retried.
		.addColumn('upload_id', 'varchar(80)', (c) => c.notNull().unique())
		.addColumn('name', 'varchar(255)', (c) => c.notNull())
		// Lower-cased name, for sorting and search that ignore case on every dialect. Lower-casing can
		// lengthen a name (U+0130 becomes two code points), hence the room.
		.addColumn('name_key', 'varchar(1020)', (c) => c.notNull())
		.addColumn('size', 'bigint', (c) => c.notNull())
		.addColumn('type', 'varchar(255)', (c) => c.notNull())
		.addColumn('sha256', 'varchar(64)', (c) => c.notNull())
		.addColumn('thread_id', 'varchar(32)', (c) => c.references('threads.id').onDelete('set null'))
		.addColumn('width', 'integer')
		.addColumn('height', 'integer')
		// 0 or 1: an integer is the one boolean that binds alike on SQLite, PostgreSQL and MySQL.
		.addColumn('has_thumb', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('files_owner').on('files').columns(['owner_id', 'created_at']).execute();
	await db.schema.createIndex('files_thread').on('files').columns(['thread_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('files').execute();
}
