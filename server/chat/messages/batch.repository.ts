import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { withSeq, type MessageRow, type NewMessageRow } from './messages.repository.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * What storing a batch did: each message stored, in the order given, or null where its thread is gone
 * (nothing of it was stored). Messages of a batch have text or file kinds: each moves its sender's
 * receipts (see `insertNext`).
 */
export type BatchResult = (MessageRow | null)[];

/**
 * Stores several messages of private threads (`insertNext` for each) in a few statements: each thread's
 * seq bumped once by its count of messages, one multi-row INSERT, each sender's receipts moved once per
 * thread to their last message. Must run inside a transaction, which the bump's row locks (and SQLite's
 * one writer) keep to itself until it commits: the k-th message of a thread in the batch gets the
 * thread's seq before the bump plus k, so seqs stay gapless, and a rollback gives them all back.
 * A duplicate (sender, clientId) fails the whole statement, hence the batch: the caller takes it out
 * and tries again (server/chat/messages/commit-batch.ts).
 */
export async function insertBatch(trx: Transaction<Database>, messages: NewMessageRow[]): Promise<BatchResult> {
	const counts = countsByThread(messages);
	// Sorted: two batches that share threads lock their rows in the same order, so they queue rather
	// than deadlock (MySQL, PostgreSQL; a deadlock would still be retried by the caller).
	const ids = [...counts.keys()].sort();
	const updatedAt = messages.reduce((latest, m) => (m.created_at > latest ? m.created_at : latest), messages[0].created_at);
	// Counts and seqs are parameters, not literals: a statement's text then depends only on how many
	// threads and senders the batch has, so SQLite's compiled statements are reused (server/db/database.ts
	// keeps 256). With the seqs as literals every batch's text was new: compiled each time, and it pushed
	// the send path's other statements out of that cache (issue 15).
	const bump = trx
		.updateTable('threads')
		.set({ last_seq: sql<number>`last_seq + case id ${sql.join(ids.map((id) => sql`when ${id} then ${counts.get(id)!}`), sql` `)} end`, updated_at: updatedAt })
		.where('id', 'in', ids);
	let lastSeqs: { id: string; last_seq: number | string }[];
	if (trx.getExecutor().adapter.supportsReturning) {
		lastSeqs = await bump.returning(['id', 'last_seq']).execute();
	} else {
		await bump.execute();
		// MySQL: this transaction's own update, which it holds the rows' locks for.
		lastSeqs = await trx.selectFrom('threads').select(['id', 'last_seq']).where('id', 'in', ids).execute();
	}
	const result = assignSeqs(messages, new Map(lastSeqs.map((r) => [r.id, Number(r.last_seq)])), counts);
	const rows = result.filter((r): r is MessageRow => r !== null);
	if (rows.length === 0) return result;
	await trx.insertInto('messages').values(rows).execute();
	const receipts = lastOfEachSender(rows);
	const key = (r: MessageRow) => sql`thread_id = ${r.thread_id} and user_id = ${r.sender_id}`;
	const newSeq = sql<number>`case ${sql.join(receipts.map((r) => sql`when ${key(r)} then ${r.seq}`), sql` `)} end`;
	await trx
		.updateTable('thread_members')
		.set({ read_seq: newSeq, delivered_seq: newSeq })
		.where(sql<boolean>`${sql.join(receipts.map((r) => sql`(${key(r)})`), sql` or `)}`)
		.execute();
	return result;
}

/**
 * PostgreSQL, outside any transaction: `insertBatch` as one statement, atomic by itself, so one round
 * trip and one commit (one WAL flush) for the whole batch. The bump waits on the threads' row locks and
 * then, under READ COMMITTED, adds to the committed value; the INSERT takes
 * its seqs from the bump's RETURNING and the receipts theirs from the INSERT's.
 */
export async function insertBatchAtOnce(db: Q, messages: NewMessageRow[]): Promise<BatchResult> {
	const counts = countsByThread(messages);
	const ids = [...counts.keys()].sort();
	const updatedAt = messages.reduce((latest, m) => (m.created_at > latest ? m.created_at : latest), messages[0].created_at);
	const nth = new Map<string, number>();
	const values = messages.map((m) => {
		const k = (nth.get(m.thread_id) ?? 0) + 1;
		nth.set(m.thread_id, k);
		return sql`(${m.id}, ${m.thread_id}, ${sql.lit(k)}, ${m.sender_id}, ${m.client_id}, ${m.kind}, ${m.text}, ${m.file_id}, ${m.created_at}, cast(${m.reply_seq ?? null} as integer), ${m.reply_sender_id ?? null}, ${m.reply_snippet ?? null})`;
	});
	const { rows } = await sql<{ id: string; last_seq: number | string }>`
		with counts (id, n) as (
			values ${sql.join(ids.map((id) => sql`(${id}, ${sql.lit(counts.get(id)!)})`))}
		), bump as (
			update threads set last_seq = threads.last_seq + counts.n, updated_at = ${updatedAt}
			from counts where threads.id = counts.id
			returning threads.id, threads.last_seq, counts.n
		), batch (id, thread_id, k, sender_id, client_id, kind, text, file_id, created_at, reply_seq, reply_sender_id, reply_snippet) as (
			values ${sql.join(values)}
		), stored as (
			insert into messages (id, thread_id, seq, sender_id, client_id, kind, text, file_id, created_at, reply_seq, reply_sender_id, reply_snippet)
			select batch.id, batch.thread_id, bump.last_seq - bump.n + batch.k, batch.sender_id, batch.client_id, batch.kind, batch.text, batch.file_id, batch.created_at, batch.reply_seq, batch.reply_sender_id, batch.reply_snippet
			from batch join bump on bump.id = batch.thread_id
			returning thread_id, sender_id, seq
		), receipts as (
			update thread_members set read_seq = last.seq, delivered_seq = last.seq
			from (select thread_id, sender_id, max(seq) as seq from stored group by thread_id, sender_id) last
			where thread_members.thread_id = last.thread_id and thread_members.user_id = last.sender_id
		)
		select id, last_seq from bump`.execute(db);
	return assignSeqs(messages, new Map(rows.map((r) => [r.id, Number(r.last_seq)])), counts);
}

function countsByThread(messages: NewMessageRow[]): Map<string, number> {
	const counts = new Map<string, number>();
	for (const m of messages) counts.set(m.thread_id, (counts.get(m.thread_id) ?? 0) + 1);
	return counts;
}

/** The k-th message of a thread in the batch gets (the thread's seq after the bump) - (its count) + k. */
function assignSeqs(messages: NewMessageRow[], lastSeqs: Map<string, number>, counts: Map<string, number>): BatchResult {
	const nth = new Map<string, number>();
	return messages.map((m) => {
		const last = lastSeqs.get(m.thread_id);
		if (last === undefined) return null;
		const k = (nth.get(m.thread_id) ?? 0) + 1;
		nth.set(m.thread_id, k);
		return withSeq(m, last - counts.get(m.thread_id)! + k);
	});
}

/** Each (thread, sender)'s message with the highest seq: where that sender's receipts go. */
function lastOfEachSender(rows: MessageRow[]): MessageRow[] {
	const last = new Map<string, MessageRow>();
	for (const r of rows) {
		const key = `${r.thread_id}\u0000${r.sender_id}`;
		const seen = last.get(key);
		if (!seen || r.seq > seen.seq) last.set(key, r);
	}
	return [...last.values()];
}

/** The stored messages among these (sender, clientId) pairs, keyed `sender\0clientId`. */
export async function findByClientIds(db: Q, keys: { sender_id: string; client_id: string }[]): Promise<Map<string, MessageRow>> {
	if (keys.length === 0) return new Map();
	const rows = await db
		.selectFrom('messages')
		.selectAll()
		.where((eb) => eb.or(keys.map((k) => eb.and([eb('sender_id', '=', k.sender_id), eb('client_id', '=', k.client_id)]))))
		.execute();
	return new Map(rows.map((r) => [clientKey(r), r]));
}

/** The key of a message's (sender, clientId), unique among stored messages. */
export function clientKey(m: { sender_id: string; client_id: string }): string {
	return `${m.sender_id}\u0000${m.client_id}`;
}
