import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { MessagesTable } from './messages.table.js';

type Q = Kysely<Database> | Transaction<Database>;

export type MessageRow = MessagesTable;

/** What a sender stores: the message-action columns start empty; a reply fills `reply_*`. */
export type NewMessageRow = Omit<MessageRow, 'seq' | 'edited_at' | 'deleted_at' | 'change_seq' | 'reply_seq' | 'reply_sender_id' | 'reply_snippet'> &
	Partial<Pick<MessageRow, 'reply_seq' | 'reply_sender_id' | 'reply_snippet'>>;

/** The row as stored at `seq`, the action columns filled with their defaults. */
export function withSeq(message: NewMessageRow, seq: number): MessageRow {
	return { reply_seq: null, reply_sender_id: null, reply_snippet: null, ...message, edited_at: null, deleted_at: null, change_seq: 0, seq };
}

export function findByClientId(db: Q, senderId: string, clientId: string): Promise<MessageRow | undefined> {
	return db.selectFrom('messages').selectAll().where('sender_id', '=', senderId).where('client_id', '=', clientId).executeTakeFirst();
}

export function findBySeq(db: Q, threadId: string, seq: number): Promise<MessageRow | undefined> {
	return db.selectFrom('messages').selectAll().where('thread_id', '=', threadId).where('seq', '=', seq).executeTakeFirst();
}

/**
 * Stores a message under the thread's next seq. Must run inside a transaction: the UPDATE takes the
 * thread row's lock (PostgreSQL, MySQL; SQLite has one writer at a time), so concurrent senders queue
 * on it and each reads back its own increment. A rollback returns the seq, so there are never gaps.
 * The sender has read and received everything up to their own message; not up to a call's line, which
 * the server writes for the caller when a call ends and which says nothing of what they have read.
 */
export async function insertNext(trx: Transaction<Database>, message: NewMessageRow): Promise<MessageRow> {
	const bump = trx
		.updateTable('threads')
		.set((eb) => ({ last_seq: eb('last_seq', '+', 1), updated_at: message.created_at }))
		.where('id', '=', message.thread_id);
	let seq: number | undefined;
	if (trx.getExecutor().adapter.supportsReturning) {
		seq = (await bump.returning('last_seq').executeTakeFirst())?.last_seq;
	} else {
		const result = await bump.executeTakeFirst();
		if (Number(result.numUpdatedRows) > 0) {
			seq = (await trx.selectFrom('threads').select('last_seq').where('id', '=', message.thread_id).executeTakeFirstOrThrow()).last_seq;
		}
	}
	if (seq === undefined) throw new Error(`thread "${message.thread_id}" vanished while sending`);
	const row = withSeq(message, Number(seq));
	await trx.insertInto('messages').values(row).execute();
	if (movesSenderReceipts(row)) {
		await trx
			.updateTable('thread_members')
			.set({ read_seq: row.seq, delivered_seq: row.seq })
			.where('thread_id', '=', row.thread_id)
			.where('user_id', '=', row.sender_id)
			.execute();
	}
	return row;
}

/** Whether storing the message moves its sender's receipts to it: not for a call's or a live stream's line (see `insertNext`). */
function movesSenderReceipts(message: Pick<NewMessageRow, 'kind'>): boolean {
	return message.kind !== 'call' && message.kind !== 'live';
}

/** True on PostgreSQL, where a send's writes go in one statement (`insertBatchAtOnce`, `insertGroupMessage`). */
export function insertsAtOnce(db: Q): boolean {
	return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * PostgreSQL, inside a transaction: `insertNext` plus the thread's members at the new seq, in two
 * statements instead of four. The first, the seq bump, takes the thread row's lock; the second (insert,
 * the sender's receipts and the members) starts after it has it, and under READ COMMITTED each
 * statement sees everything committed before it began: every membership change with a lower seq (they
 * take that lock too) and none with a higher one. One statement for all of it would not do: its
 * snapshot predates the wait for the lock. The lock is held for two round trips (this and COMMIT)
 * rather than four, so sends into one group queue for less.
 */
export async function insertNextReadingMembers(trx: Transaction<Database>, message: NewMessageRow): Promise<{ row: MessageRow; memberIds: string[] }> {
	const bumped = await trx
		.updateTable('threads')
		.set((eb) => ({ last_seq: eb('last_seq', '+', 1), updated_at: message.created_at }))
		.where('id', '=', message.thread_id)
		.returning('last_seq')
		.executeTakeFirst();
	if (!bumped) throw new Error(`thread "${message.thread_id}" vanished while sending`);
	const row = withSeq(message, Number(bumped.last_seq));
	const { rows } = await sql<{ user_id: string }>`
		with stored as (
			insert into messages (id, thread_id, seq, sender_id, client_id, kind, text, file_id, created_at, reply_seq, reply_sender_id, reply_snippet)
			values (${row.id}, ${row.thread_id}, ${row.seq}, ${row.sender_id}, ${row.client_id}, ${row.kind}, ${row.text}, ${row.file_id}, ${row.created_at}, ${row.reply_seq}, ${row.reply_sender_id}, ${row.reply_snippet})
		), receipts as (
			update thread_members set read_seq = ${row.seq}, delivered_seq = ${row.seq}
			where thread_id = ${row.thread_id} and user_id = ${row.sender_id} and ${sql.lit(movesSenderReceipts(row))}
		)
		select user_id from thread_members where thread_id = ${row.thread_id}`.execute(trx);
	return { row, memberIds: rows.map((r) => r.user_id) };
}

/**
 * PostgreSQL, outside any transaction: `insertNextReadingMembers` as one call of the function
 * `parley_send_group` (migration 0009), which commits as it returns. The thread row's lock is held
 * only while the server runs it, never across a round trip to this process, so sends into one group
 * queue for that much less. Undefined when the sender is not (or no longer) a member, or the thread
 * is gone: nothing was stored.
 */
export async function insertGroupMessage(db: Q, message: NewMessageRow): Promise<{ row: MessageRow; memberIds: string[] } | undefined> {
	try {
		const { rows } = await sql<{ seq: number | string; member_ids: string[] }>`
			select seq, member_ids from parley_send_group(${message.id}, ${message.thread_id}, ${message.sender_id}, ${message.client_id}, ${message.kind}, ${message.text}, ${message.file_id}, ${message.created_at})`.execute(db);
		return { row: withSeq(message, Number(rows[0].seq)), memberIds: rows[0].member_ids };
	} catch (error) {
		if ((error as { code?: string }).code === 'P0002') return undefined;
		throw error;
	}
}

/**
 * A page of a thread's history by seq, ascending, plus one extra row when there is more in the
 * direction asked: before `beforeSeq`, after `afterSeq`, or (neither) the newest. A range of the
 * (thread_id, seq) unique index in every case.
 */
export async function listPage(db: Q, options: { threadId: string; beforeSeq?: number; afterSeq?: number; limit: number }): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
	const { threadId, beforeSeq, afterSeq, limit } = options;
	let query = db.selectFrom('messages').selectAll().where('thread_id', '=', threadId);
	if (afterSeq !== undefined) {
		const rows = await query.where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit + 1).execute();
		return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
	}
	if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
	const rows = await query.orderBy('seq', 'desc').limit(limit + 1).execute();
	return { rows: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
}

/** The newest message of each of these threads (those that have one). */
export async function lastMessagesOf(db: Q, threadIds: string[]): Promise<Map<string, MessageRow>> {
	if (threadIds.length === 0) return new Map();
	const rows = await db
		.selectFrom('threads')
		.innerJoin('messages', (join) => join.onRef('messages.thread_id', '=', 'threads.id').onRef('messages.seq', '=', 'threads.last_seq'))
		.selectAll('messages')
		.where('threads.id', 'in', threadIds)
		.execute();
	return new Map(rows.map((r) => [r.thread_id, r]));
}
