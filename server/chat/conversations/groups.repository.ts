import { SqliteAdapter, type Transaction } from 'kysely';
import type { GroupRole } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import type { ThreadsTable } from './threads.table.js';

type T = Transaction<Database>;

// The writes of a group's membership. Each runs inside the transaction of one change, which first
// takes the group's thread row lock (`lockGroup`): the same lock a message takes its seq under.

/**
 * The group's thread row, locked until the transaction ends (PostgreSQL and MySQL `FOR UPDATE`; SQLite
 * runs one transaction at a time). Undefined for a private thread or none.
 */
export function lockGroup(trx: T, threadId: string): Promise<ThreadsTable | undefined> {
	let query = trx.selectFrom('threads').selectAll().where('id', '=', threadId).where('kind', '=', 'group');
	if (!(trx.getExecutor().adapter instanceof SqliteAdapter)) query = query.forUpdate();
	return query.executeTakeFirst();
}

export async function insertGroup(trx: T, row: { id: string; title: string; topic: string; now: string }): Promise<void> {
	await trx
		.insertInto('threads')
		.values({ id: row.id, kind: 'group', private_key: null, last_seq: 0, title: row.title, topic: row.topic, avatar_id: null, closed_at: null, updated_at: row.now, created_at: row.now })
		.execute();
}

/** New members, with receipts at `seenSeq` (what was there before they joined counts as seen). */
export async function insertMembers(trx: T, threadId: string, members: Array<{ userId: string; role: GroupRole }>, seenSeq: number, now: string): Promise<void> {
	if (members.length === 0) return;
	await trx
		.insertInto('thread_members')
		.values(members.map((m) => ({ thread_id: threadId, user_id: m.userId, role: m.role, read_seq: seenSeq, delivered_seq: seenSeq, joined_at: now })))
		.execute();
}

export async function deleteMember(trx: T, threadId: string, userId: string): Promise<void> {
	await trx.deleteFrom('thread_members').where('thread_id', '=', threadId).where('user_id', '=', userId).execute();
}

export async function setRole(trx: T, threadId: string, userId: string, role: GroupRole): Promise<void> {
	await trx.updateTable('thread_members').set({ role }).where('thread_id', '=', threadId).where('user_id', '=', userId).execute();
}

export async function updateGroup(trx: T, threadId: string, patch: { title?: string; topic?: string; avatar_id?: string; closed_at?: string }): Promise<void> {
	if (Object.keys(patch).length === 0) return;
	await trx.updateTable('threads').set(patch).where('id', '=', threadId).execute();
}
