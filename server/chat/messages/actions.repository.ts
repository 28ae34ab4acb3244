import type { Kysely, Transaction } from 'kysely';
import type { MessageEdit, Reaction } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import type { MessageRow } from './messages.repository.js';

// Message actions' queries (docs/PROTOCOL.md, "Message actions"): the thread's change counter, the
// edit, the tombstone, reactions and the change feed.

type Q = Kysely<Database> | Transaction<Database>;

/**
 * Takes the thread's next change number. Must run first in its transaction: the UPDATE takes the
 * thread row's lock (the one sends and group changes take), so changes of one thread queue on it and
 * commit in the order of their numbers, and everything the transaction reads afterwards is current
 * (on MySQL the REPEATABLE READ snapshot starts after the lock). Undefined when there is no thread.
 */
export async function bumpChangeSeq(trx: Transaction<Database>, threadId: string): Promise<number | undefined> {
	const bump = trx
		.updateTable('threads')
		.set((eb) => ({ last_change_seq: eb('last_change_seq', '+', 1) }))
		.where('id', '=', threadId);
	if (trx.getExecutor().adapter.supportsReturning) {
		const row = await bump.returning('last_change_seq').executeTakeFirst();
		return row ? Number(row.last_change_seq) : undefined;
	}
	const result = await bump.executeTakeFirst();
	if (Number(result.numUpdatedRows) === 0) return undefined;
	const row = await trx.selectFrom('threads').select('last_change_seq').where('id', '=', threadId).executeTakeFirstOrThrow();
	return Number(row.last_change_seq);
}

/** Replaces the text (in place: the search indexes follow the column), keeping the old one for the sender. */
export async function editText(trx: Transaction<Database>, options: { row: MessageRow; text: string; at: string; changeSeq: number; editId: string }): Promise<void> {
	const { row, text, at, changeSeq, editId } = options;
	await trx.insertInto('message_edits').values({ id: editId, message_id: row.id, text: row.text ?? '', edited_at: at }).execute();
	await trx.updateTable('messages').set({ text, edited_at: at, change_seq: changeSeq }).where('id', '=', row.id).execute();
}

/**
 * Makes the message a tombstone: its text, file reference, quote, earlier texts, reactions and
 * mentions are removed; the row keeps its id, seq, sender and time.
 */
export async function tombstone(trx: Transaction<Database>, options: { row: MessageRow; at: string; changeSeq: number }): Promise<void> {
	const { row, at, changeSeq } = options;
	await trx
		.updateTable('messages')
		.set({ text: null, file_id: null, reply_seq: null, reply_sender_id: null, reply_snippet: null, edited_at: null, deleted_at: at, change_seq: changeSeq })
		.where('id', '=', row.id)
		.execute();
	await trx.deleteFrom('message_edits').where('message_id', '=', row.id).execute();
	await trx.deleteFrom('reactions').where('message_id', '=', row.id).execute();
	await trx.deleteFrom('mentions').where('thread_id', '=', row.thread_id).where('seq', '=', row.seq).execute();
}

/** True when a message other than `exceptId` still carries the file. */
export async function fileStillReferenced(trx: Q, fileId: string, exceptId: string): Promise<boolean> {
	const row = await trx.selectFrom('messages').select('id').where('file_id', '=', fileId).where('id', '!=', exceptId).limit(1).executeTakeFirst();
	return row !== undefined;
}

export async function setChangeSeq(trx: Transaction<Database>, messageId: string, changeSeq: number): Promise<void> {
	await trx.updateTable('messages').set({ change_seq: changeSeq }).where('id', '=', messageId).execute();
}

/** The person's reactions to one message. */
export async function reactionsBy(db: Q, messageId: string, userId: string): Promise<string[]> {
	const rows = await db.selectFrom('reactions').select('emoji').where('message_id', '=', messageId).where('user_id', '=', userId).execute();
	return rows.map((r) => r.emoji);
}

export async function addReaction(trx: Transaction<Database>, row: { message_id: string; user_id: string; emoji: string; created_at: string }): Promise<void> {
	await trx.insertInto('reactions').values(row).execute();
}

export async function removeReaction(trx: Transaction<Database>, key: { messageId: string; userId: string; emoji: string }): Promise<boolean> {
	const result = await trx.deleteFrom('reactions').where('message_id', '=', key.messageId).where('user_id', '=', key.userId).where('emoji', '=', key.emoji).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/**
 * The reactions of these messages, by message id: each emoji once, in the order it was first used,
 * with who reacted in the order they did. One query whatever the page's size.
 */
export async function reactionsOf(db: Q, messageIds: string[]): Promise<Map<string, Reaction[]>> {
	const out = new Map<string, Reaction[]>();
	if (messageIds.length === 0) return out;
	const rows = await db
		.selectFrom('reactions')
		.select(['message_id', 'emoji', 'user_id'])
		.where('message_id', 'in', messageIds)
		.orderBy('created_at')
		.orderBy('user_id')
		.execute();
	for (const r of rows) {
		let list = out.get(r.message_id);
		if (!list) out.set(r.message_id, (list = []));
		let reaction = list.find((x) => x.emoji === r.emoji);
		if (!reaction) list.push((reaction = { emoji: r.emoji, count: 0, userIds: [] }));
		reaction.count++;
		reaction.userIds.push(r.user_id);
	}
	return out;
}

/** The sender's earlier texts of a message, oldest first. */
export async function editsOf(db: Q, messageId: string): Promise<MessageEdit[]> {
	const rows = await db.selectFrom('message_edits').select(['text', 'edited_at']).where('message_id', '=', messageId).orderBy('id').execute();
	return rows.map((r) => ({ text: r.text, editedAt: r.edited_at }));
}

/**
 * The change feed: the messages of a thread whose latest change is after `afterChangeSeq`, by change
 * number, plus one extra row when there are more. A range of the (thread_id, change_seq) index.
 */
export async function changedAfter(db: Q, options: { threadId: string; afterChangeSeq: number; limit: number }): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
	const rows = await db
		.selectFrom('messages')
		.selectAll()
		.where('thread_id', '=', options.threadId)
		.where('change_seq', '>', options.afterChangeSeq)
		.orderBy('change_seq')
		.limit(options.limit + 1)
		.execute();
	return { rows: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}
