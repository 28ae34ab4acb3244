import type { Kysely } from 'kysely';

// A file can be sent to several chats (docs/PROTOCOL.md, "Sending a file you have"): access to it,
// the chats it went to and whether a deleted message was its last one are all asked by file id.
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.createIndex('messages_file').on('messages').columns(['file_id', 'thread_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropIndex('messages_file').on('messages').execute();
}
