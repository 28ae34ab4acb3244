import { MysqlAdapter, type Kysely } from 'kysely';

// Unread counts (docs/PROTOCOL.md, Thread.unread): a member's unread messages are those above their
// read mark that someone else sent, that are not a call's line and not deleted. Counting them walks
// the seq range of (thread_id, seq); this index carries the three columns the count filters on, so
// every dialect answers from the index alone (SQLite and MariaDB a covering index, PostgreSQL an
// index-only scan) instead of reading each message row, text and all, of a long unread range.
// It replaces no index: `messages_thread_seq` stays the unique one that hands out seqs.

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.createIndex('messages_unread').on('messages').columns(['thread_id', 'seq', 'sender_id', 'kind', 'deleted_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	const drop = db.schema.dropIndex('messages_unread');
	await (db.getExecutor().adapter instanceof MysqlAdapter ? drop.on('messages') : drop).execute();
}
