import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Q = Kysely<Database> | Transaction<Database>;

// A member's unread messages (docs/PROTOCOL.md, Thread.unread): those above their `read_seq` that
// someone else sent, that are not a call's or a live stream's line (a record of a call the member took part in or was
// rung for, not something to read) and not deleted (a tombstone has nothing left to read). Group
// system lines do count: they are news about the group. Each count is a range of the
// `messages_unread` index (migration 20261208_0001), which holds every column filtered on here.

/** The conditions on a message row, beside the seq range and the sender. */
function readable(eb: ExpressionBuilder<Database, 'messages'>) {
	return eb.and([eb('messages.kind', 'not in', ['call', 'live']), eb('messages.deleted_at', 'is', null)]);
}

/** `userId`'s unread messages per thread (threads with none are left out). */
export async function unreadOf(db: Q, userId: string, threadIds: string[]): Promise<Map<string, number>> {
	if (threadIds.length === 0) return new Map();
	const rows = await db
		.selectFrom('thread_members')
		.innerJoin('messages', (join) => join.onRef('messages.thread_id', '=', 'thread_members.thread_id').onRef('messages.seq', '>', 'thread_members.read_seq'))
		.select((eb) => ['thread_members.thread_id', eb.fn.countAll<number | string>().as('n')])
		.where('thread_members.user_id', '=', userId)
		.where('thread_members.thread_id', 'in', threadIds)
		.where('messages.sender_id', '!=', userId)
		.where(readable)
		.groupBy('thread_members.thread_id')
		.execute();
	return new Map(rows.map((r) => [r.thread_id, Number(r.n)]));
}

/** Every member's unread messages in one thread, by user id (members with none are left out). */
export async function unreadIn(db: Q, threadId: string): Promise<Map<string, number>> {
	const rows = await db
		.selectFrom('thread_members')
		.innerJoin('messages', (join) => join.onRef('messages.thread_id', '=', 'thread_members.thread_id').onRef('messages.seq', '>', 'thread_members.read_seq'))
		.select((eb) => ['thread_members.user_id', eb.fn.countAll<number | string>().as('n')])
		.where('thread_members.thread_id', '=', threadId)
		.whereRef('messages.sender_id', '!=', 'thread_members.user_id')
		.where(readable)
		.groupBy('thread_members.user_id')
		.execute();
	return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
}
