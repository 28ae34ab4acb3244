import type { Kysely } from 'kysely';

// Avatars (a docs/PROTOCOL.md extension). The picture itself is a file under UPLOAD_DIR/avatars named
// by this id; a new picture gets a new id, so its URL can be cached for good. Null: no picture.
// A plain nullable varchar added by ALTER TABLE works alike on SQLite, PostgreSQL and MySQL/MariaDB.

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('users').addColumn('avatar', 'varchar(32)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('users').dropColumn('avatar').execute();
}
