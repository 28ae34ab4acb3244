import type { Kysely } from 'kysely';

// Stream keys (docs/PROTOCOL.md, "Stream keys"): at most one per user (the primary key), stored as the
// SHA-256 of the key (hex). The key is 32 random bytes, so a fast unsalted hash is enough: nobody can
// guess a preimage of a 256-bit secret, and a password hash's slowness would only slow each RTMP
// publish. The unique index on the hash is how a publish finds its user.
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('stream_keys')
		.addColumn('user_id', 'varchar(32)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
		.addColumn('key_hash', 'char(64)', (c) => c.notNull())
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('stream_keys_hash').on('stream_keys').column('key_hash').unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('stream_keys').execute();
}
