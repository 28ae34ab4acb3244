import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Q = Kysely<Database> | Transaction<Database>;

// Blocks in groups (docs/PROTOCOL.md, "Unfriend and block"): a group message from someone the member
// blocked is not unread for them. Kept apart from how `unread` itself is counted: these are the
// messages to take off it, those above the member's read_seq whose sender they blocked, that are a
// person's message (not a system line or a call's line) and not deleted.

function fromBlocked(eb: ExpressionBuilder<Database, 'thread_members' | 'messages'>) {
	return eb.and([
		eb('messages.kind', 'not in', ['system', 'call', 'live']),
		eb('messages.deleted_at', 'is', null),
		eb.exists(eb.selectFrom('blocks').select('blocks.blocker_id').whereRef('blocks.blocker_id', '=', 'thread_members.user_id').whereRef('blocks.blocked_id', '=', 'messages.sender_id'))
	]);
}

/** `userId`'s unread group messages from people they blocked, per thread (threads with none are left out). */
export async function blockedUnreadOf(db: Q, userId: string, groupIds: readonly string[]): Promise<Map<string, number>> {
	if (groupIds.length === 0) return new Map();
	const rows = await db
		.selectFrom('thread_members')
		.innerJoin('messages', (join) => join.onRef('messages.thread_id', '=', 'thread_members.thread_id').onRef('messages.seq', '>', 'thread_members.read_seq'))
		.select((eb) => ['thread_members.thread_id', eb.fn.countAll<number | string>().as('n')])
		.where('thread_members.user_id', '=', userId)
		.where('thread_members.thread_id', 'in', [...groupIds])
		.where(fromBlocked)
		.groupBy('thread_members.thread_id')
		.execute();
	return new Map(rows.map((r) => [r.thread_id, Number(r.n)]));
}

/** Every member's unread messages in one group from people they blocked, by user id. */
export async function blockedUnreadIn(db: Q, groupId: string): Promise<Map<string, number>> {
	const rows = await db
		.selectFrom('thread_members')
		.innerJoin('messages', (join) => join.onRef('messages.thread_id', '=', 'thread_members.thread_id').onRef('messages.seq', '>', 'thread_members.read_seq'))
		.select((eb) => ['thread_members.user_id', eb.fn.countAll<number | string>().as('n')])
		.where('thread_members.thread_id', '=', groupId)
		.where(fromBlocked)
		.groupBy('thread_members.user_id')
		.execute();
	return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
}
