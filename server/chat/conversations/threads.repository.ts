import { sql, type Kysely, type Transaction } from 'kysely';
import type { GroupRole, ThreadKind } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { isMysql } from '../../db/transactions.js';
import { pairKey } from '../friends/friends.table.js';
import type { ThreadsTable } from './threads.table.js';

type Q = Kysely<Database> | Transaction<Database>;

/** A thread with one member's receipts: what a member's view of it starts from. */
export interface MemberThreadRow extends ThreadsTable {
	read_seq: number;
	delivered_seq: number;
	role: GroupRole;
	muted_until: string | null;
}

function memberThreads(db: Q, userId: string) {
	return db
		.selectFrom('thread_members')
		.innerJoin('threads', 'threads.id', 'thread_members.thread_id')
		.selectAll('threads')
		.select(['thread_members.read_seq', 'thread_members.delivered_seq', 'thread_members.role', 'thread_members.muted_until'])
		.where('thread_members.user_id', '=', userId);
}

export function findThread(db: Q, threadId: string): Promise<ThreadsTable | undefined> {
	return db.selectFrom('threads').selectAll().where('id', '=', threadId).executeTakeFirst();
}

/** The thread if `userId` is a member of it. */
export function findMemberThread(db: Q, threadId: string, userId: string): Promise<MemberThreadRow | undefined> {
	return memberThreads(db, userId).where('threads.id', '=', threadId).executeTakeFirst();
}

/**
 * One page of a member's threads, newest activity first, after the keyset position `after` (the
 * previous page's last thread). Fetches `limit + 1` so the caller knows whether there is more.
 */
export function listMemberThreads(db: Q, options: { userId: string; limit: number; after?: { updatedAt: string; id: string } }): Promise<MemberThreadRow[]> {
	let query = memberThreads(db, options.userId);
	const after = options.after;
	if (after) {
		query = query.where((eb) =>
			eb.or([eb('threads.updated_at', '<', after.updatedAt), eb.and([eb('threads.updated_at', '=', after.updatedAt), eb('threads.id', '<', after.id)])])
		);
	}
	return query.orderBy('threads.updated_at', 'desc').orderBy('threads.id', 'desc').limit(options.limit + 1).execute();
}

export interface MemberRow {
	thread_id: string;
	user_id: string;
	read_seq: number;
	delivered_seq: number;
	role: GroupRole;
	joined_at: string;
	muted_until: string | null;
}

/** Every member of these threads with their receipts and roles, the earliest joined first. */
export async function membersOf(db: Q, threadIds: string[]): Promise<MemberRow[]> {
	if (threadIds.length === 0) return [];
	return db
		.selectFrom('thread_members')
		.select(['thread_id', 'user_id', 'read_seq', 'delivered_seq', 'role', 'joined_at', 'muted_until'])
		.where('thread_id', 'in', threadIds)
		.orderBy('joined_at')
		.orderBy('user_id')
		.execute();
}

/**
 * The thread's members. `locking` (inside a transaction that holds the thread row): on MySQL/MariaDB
 * a locking read, which sees the latest committed rows; a plain read there would answer from the
 * transaction's REPEATABLE READ snapshot, which may predate the membership change it queued behind.
 * PostgreSQL (READ COMMITTED: each statement sees what was committed before it) and SQLite (one
 * writer at a time) read the latest rows anyway.
 */
export async function memberIdsOf(db: Q, threadId: string, options: { locking?: boolean } = {}): Promise<string[]> {
	let query = db.selectFrom('thread_members').select('user_id').where('thread_id', '=', threadId);
	// `LOCK IN SHARE MODE`, which MySQL and MariaDB both parse, rather than kysely's `FOR SHARE` (MySQL 8 only).
	if (options.locking && isMysql(db)) query = query.modifyEnd(sql`lock in share mode`);
	const rows = await query.execute();
	return rows.map((r) => r.user_id);
}

/**
 * Everyone who shares a group with `userId` (not themself): with their friends, who hear their
 * presence. One query; private threads add no one (their two members are friends).
 */
export async function groupPeersOf(db: Q, userId: string): Promise<string[]> {
	const rows = await db
		.selectFrom('thread_members as mine')
		.innerJoin('threads', 'threads.id', 'mine.thread_id')
		.innerJoin('thread_members as other', 'other.thread_id', 'mine.thread_id')
		.select('other.user_id')
		.distinct()
		.where('mine.user_id', '=', userId)
		.where('threads.kind', '=', 'group')
		.where('other.user_id', '!=', userId)
		.execute();
	return rows.map((r) => r.user_id);
}

/** The ids of the groups `userId` is a member of (for the calls in progress in them). */
export async function groupIdsOf(db: Q, userId: string): Promise<string[]> {
	const rows = await db
		.selectFrom('thread_members')
		.innerJoin('threads', 'threads.id', 'thread_members.thread_id')
		.select('threads.id')
		.where('thread_members.user_id', '=', userId)
		.where('threads.kind', '=', 'group')
		.execute();
	return rows.map((r) => r.id);
}

/**
 * Whether `userId` may send into the thread, its kind, and for a private thread both members, in one
 * query; undefined when `userId` is no member (or there is no such thread). A group's members are not
 * read here (its recipients are read at the message's seq, in its transaction), only the sender's row:
 * one row whatever the group's size.
 */
export async function audienceOf(db: Q, threadId: string, userId: string): Promise<{ kind: ThreadKind; memberIds: string[] } | undefined> {
	const rows = await db
		.selectFrom('thread_members')
		.innerJoin('threads', 'threads.id', 'thread_members.thread_id')
		.select(['thread_members.user_id', 'threads.kind'])
		.where('thread_members.thread_id', '=', threadId)
		.where((eb) => eb.or([eb('threads.kind', '=', 'private'), eb('thread_members.user_id', '=', userId)]))
		.execute();
	const memberIds = rows.map((r) => r.user_id);
	if (!memberIds.includes(userId)) return undefined;
	return { kind: rows[0].kind, memberIds };
}

export function findPrivateThread(db: Q, a: string, b: string) {
	return db.selectFrom('threads').selectAll().where('private_key', '=', pairKey(a, b)).executeTakeFirst();
}

/**
 * The private thread of two users, made with both as members if it does not exist yet. Safe when two
 * callers race: the unique `private_key` lets one insert win and the other find it.
 */
export async function ensurePrivateThread(db: Q, a: string, b: string, now: string): Promise<string> {
	const key = pairKey(a, b);
	const existing = await findPrivateThread(db, a, b);
	if (existing) return existing.id;
	const insert = db.insertInto('threads').values({ id: newId(), kind: 'private', private_key: key, last_seq: 0, updated_at: now, created_at: now });
	if (isMysql(db)) await insert.onDuplicateKeyUpdate((eb) => ({ private_key: eb.ref('threads.private_key') })).execute();
	else await insert.onConflict((oc) => oc.column('private_key').doNothing()).execute();
	// A locking read on MySQL: under REPEATABLE READ a plain one would keep this transaction's older
	// snapshot and miss the row another transaction just committed.
	let again = db.selectFrom('threads').selectAll().where('private_key', '=', key);
	if (isMysql(db)) again = again.forUpdate();
	const thread = await again.executeTakeFirst();
	if (!thread) throw new Error(`private thread "${key}" vanished after insert`);
	const members = [a, b].map((user_id) => ({ thread_id: thread.id, user_id, read_seq: 0, delivered_seq: 0, joined_at: now }));
	const insertMembers = db.insertInto('thread_members').values(members);
	if (isMysql(db)) await insertMembers.onDuplicateKeyUpdate((eb) => ({ joined_at: eb.ref('thread_members.joined_at') })).execute();
	else await insertMembers.onConflict((oc) => oc.columns(['thread_id', 'user_id']).doNothing()).execute();
	return thread.id;
}

/**
 * Raises a member's receipts to at least the given seqs; never lowers them. `read` also raises
 * `delivered` (what you read, you have). Returns the stored values.
 */
export async function raiseReceipts(db: Q, options: { threadId: string; userId: string; readSeq?: number; deliveredSeq: number }): Promise<{ read_seq: number; delivered_seq: number } | undefined> {
	const { threadId, userId, readSeq, deliveredSeq } = options;
	let update = db
		.updateTable('thread_members')
		.set((eb) => ({
			delivered_seq: eb.case().when('delivered_seq', '<', deliveredSeq).then(deliveredSeq).else(eb.ref('delivered_seq')).end(),
			...(readSeq === undefined ? {} : { read_seq: eb.case().when('read_seq', '<', readSeq).then(readSeq).else(eb.ref('read_seq')).end() })
		}))
		.where('thread_id', '=', threadId)
		.where('user_id', '=', userId);
	update = update.where((eb) => {
		const below = [eb('delivered_seq', '<', deliveredSeq)];
		if (readSeq !== undefined) below.push(eb('read_seq', '<', readSeq));
		return eb.or(below);
	});
	await update.execute();
	return db.selectFrom('thread_members').select(['read_seq', 'delivered_seq']).where('thread_id', '=', threadId).where('user_id', '=', userId).executeTakeFirst();
}

/** Sets (or with null clears) `userId`'s mute of the thread; false when they are not a member. */
export async function setMutedUntil(db: Q, options: { threadId: string; userId: string; until: string | null }): Promise<boolean> {
	const result = await db.updateTable('thread_members').set({ muted_until: options.until }).where('thread_id', '=', options.threadId).where('user_id', '=', options.userId).executeTakeFirst();
	return Number(result.numUpdatedRows) > 0;
}
