import type { Kysely } from 'kysely';

// Deleted accounts (docs/PROTOCOL.md, "Deleting the account"): the users row stays, anonymised, so the
// messages it sent keep their sender; `deleted_at` says it is a tombstone (its username_key and
// email_key hold `~` and the id, which no real name or address can, so both are free again).
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('users').addColumn('deleted_at', 'varchar(24)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('users').dropColumn('deleted_at').execute();
}
