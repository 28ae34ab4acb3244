import type { Kysely } from 'kysely';

// Notifications (docs/PROTOCOL.md, "Notifications"): a per-member mute on each thread, and the Web Push
// subscriptions of each user's devices.

export async function up(db: Kysely<any>): Promise<void> {
	// Until when the member muted the thread (fixed-width ISO time); null: not muted. "Until I unmute" is
	// 9999-12-31T23:59:59.999Z, so "muted now" is one comparison for every kind.
	await db.schema.alterTable('thread_members').addColumn('muted_until', 'varchar(24)').execute();

	await db.schema
		.createTable('push_subscriptions')
		.addColumn('id', 'varchar(32)', (c) => c.primaryKey())
		.addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('users.id').onDelete('cascade'))
		// The push service's URL for this browser. Unique over its hash (MySQL cannot index long text).
		.addColumn('endpoint', 'text', (c) => c.notNull())
		.addColumn('endpoint_hash', 'varchar(64)', (c) => c.notNull().unique())
		.addColumn('p256dh', 'varchar(128)', (c) => c.notNull())
		.addColumn('auth', 'varchar(64)', (c) => c.notNull())
		.addColumn('label', 'varchar(100)', (c) => c.notNull())
		.addColumn('hide_previews', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_at', 'varchar(24)', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('push_subscriptions_user').on('push_subscriptions').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('push_subscriptions').execute();
	await db.schema.alterTable('thread_members').dropColumn('muted_until').execute();
}
