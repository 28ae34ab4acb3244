import type { Kysely } from 'kysely';

// Settings > Devices (docs/PROTOCOL.md, "Sessions and devices") shows when each session was last used.
// `last_seen_at` is an ISO string like the other times; it is written at most once a minute per
// session (server/devices/last-seen.ts), never per message. Sessions from before start at their
// creation time.
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('sessions').addColumn('last_seen_at', 'varchar(24)').execute();
	await db.updateTable('sessions').set((eb) => ({ last_seen_at: eb.ref('created_at') })).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('sessions').dropColumn('last_seen_at').execute();
}
