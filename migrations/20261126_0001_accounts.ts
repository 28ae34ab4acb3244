import type { Kysely } from 'kysely';

// Portable across SQLite, PostgreSQL and MySQL/MariaDB: string ids, fixed-width ISO time strings,
// varchar for anything indexed (MySQL cannot index TEXT without a prefix length).

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('users')
		.addColumn('id', 'varchar(32)', (c) => c.primaryKey())
		.addColumn('username', 'varchar(32)', (c) => c.notNull())
		.addColumn('username_key', 'varchar(32)', (c) => c.notNull().unique())
		.addColumn('email', 'varchar(254)', (c) => c.notNull())
		.addColumn('email_key', 'varchar(254)', (c) => c.notNull().unique())
		.addColumn('display_name', 'varchar(64)', (c) => c.notNull())
		.addColumn('bio', 'varchar(280)', (c) => c.notNull().defaultTo(''))
		.addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.addColumn('updated_at', 'varchar(24)', (c) => c.notNull())
		.execute();

	await db.schema
		.createTable('sessions')
		.addColumn('id', 'varchar(32)', (c) => c.primaryKey())
		.addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
		.addColumn('user_agent', 'varchar(255)')
		.addColumn('ip', 'varchar(64)')
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.addColumn('expires_at', 'varchar(24)', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('sessions').execute();
	await db.schema.dropTable('users').execute();
}
