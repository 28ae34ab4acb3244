import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { isMysql } from '../../db/transactions.js';
import { pairKey, type FriendRequestsTable, type FriendRequestStatus } from './friends.table.js';
import type { CardRow } from './users.repository.js';

type Q = Kysely<Database> | Transaction<Database>;

export type FriendRequestRow = FriendRequestsTable;

export function findRequest(db: Q, id: string): Promise<FriendRequestRow | undefined> {
	return db.selectFrom('friend_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The pending request between two users, whichever of them asked. */
export function findPendingBetween(db: Q, a: string, b: string): Promise<FriendRequestRow | undefined> {
	return db.selectFrom('friend_requests').selectAll().where('pending_key', '=', pairKey(a, b)).executeTakeFirst();
}

/** Fails with a unique violation when the pair already has a pending request. */
export async function insertRequest(db: Q, row: FriendRequestRow): Promise<void> {
	await db.insertInto('friend_requests').values(row).execute();
}

/**
 * Moves a pending request to `status`; false when it was no longer pending (someone else answered
 * first). The row lock this takes orders concurrent answers.
 */
export async function closeRequest(db: Q, id: string, status: Exclude<FriendRequestStatus, 'pending'>, now: string): Promise<boolean> {
	const result = await db
		.updateTable('friend_requests')
		.set({ status, pending_key: null, responded_at: now })
		.where('id', '=', id)
		.where('status', '=', 'pending')
		.executeTakeFirst();
	return Number(result.numUpdatedRows) > 0;
}

/** Pending requests to (`incoming`) or from (`outgoing`) a user, newest first. */
export function pendingRequests(db: Q, userId: string, direction: 'incoming' | 'outgoing'): Promise<FriendRequestRow[]> {
	return db
		.selectFrom('friend_requests')
		.selectAll()
		.where(direction === 'incoming' ? 'to_user_id' : 'from_user_id', '=', userId)
		.where('status', '=', 'pending')
		.orderBy('created_at', 'desc')
		.orderBy('id', 'desc')
		.limit(500)
		.execute();
}

export function findFriendship(db: Q, userId: string, friendId: string) {
	return db.selectFrom('friendships').selectAll().where('user_id', '=', userId).where('friend_id', '=', friendId).executeTakeFirst();
}

/** Both rows of a friendship; a row that already exists is left as it is. */
export async function insertFriendship(db: Q, a: string, b: string, threadId: string, now: string): Promise<void> {
	const rows = [
		{ user_id: a, friend_id: b, thread_id: threadId, created_at: now },
		{ user_id: b, friend_id: a, thread_id: threadId, created_at: now }
	];
	const insert = db.insertInto('friendships').values(rows);
	if (isMysql(db)) await insert.onDuplicateKeyUpdate((eb) => ({ thread_id: eb.ref('friendships.thread_id') })).execute();
	else await insert.onConflict((oc) => oc.columns(['user_id', 'friend_id']).doNothing()).execute();
}

export interface FriendRow extends CardRow {
	thread_id: string;
	since: string;
}

/** A user's friends with their cards, by username. */
export function friendsOf(db: Q, userId: string): Promise<FriendRow[]> {
	return db
		.selectFrom('friendships')
		.innerJoin('users', 'users.id', 'friendships.friend_id')
		.select(['users.id', 'users.username', 'users.display_name', 'users.bio', 'users.avatar', 'friendships.thread_id', 'friendships.created_at as since'])
		.where('friendships.user_id', '=', userId)
		.orderBy('users.username_key')
		.execute();
}

export async function friendIdsOf(db: Q, userId: string): Promise<string[]> {
	const rows = await db.selectFrom('friendships').select('friend_id').where('user_id', '=', userId).execute();
	return rows.map((r) => r.friend_id);
}

/** Which of `otherIds` are `userId`'s friends, and which have a pending request with them, which way. */
export async function relationsWith(db: Q, userId: string, otherIds: string[]): Promise<{ friends: Set<string>; incoming: Set<string>; outgoing: Set<string> }> {
	const out = { friends: new Set<string>(), incoming: new Set<string>(), outgoing: new Set<string>() };
	const ids = [...new Set(otherIds)].filter((id) => id !== userId);
	if (ids.length === 0) return out;
	const [friends, pending] = await Promise.all([
		db.selectFrom('friendships').select('friend_id').where('user_id', '=', userId).where('friend_id', 'in', ids).execute(),
		db
			.selectFrom('friend_requests')
			.select(['from_user_id', 'to_user_id'])
			.where(
				'pending_key',
				'in',
				ids.map((id) => pairKey(userId, id))
			)
			.execute()
	]);
	for (const f of friends) out.friends.add(f.friend_id);
	for (const p of pending) {
		if (p.from_user_id === userId) out.outgoing.add(p.to_user_id);
		else out.incoming.add(p.from_user_id);
	}
	return out;
}

export interface Relations {
	friends: Set<string>;
	incoming: Set<string>;
	outgoing: Set<string>;
}

/**
 * `relationsWith` for several viewers at once, in two queries whatever their number: each viewer's
 * friends and pending requests among `otherIds` (a group's members seen by each of them).
 */
export async function relationsAmong(db: Q, viewerIds: string[], otherIds: string[]): Promise<Map<string, Relations>> {
	const out = new Map<string, Relations>();
	for (const id of viewerIds) out.set(id, { friends: new Set(), incoming: new Set(), outgoing: new Set() });
	const viewers = [...new Set(viewerIds)];
	const others = [...new Set(otherIds)];
	if (viewers.length === 0 || others.length === 0) return out;
	const everyone = [...new Set([...viewers, ...others])];
	const [friends, pending] = await Promise.all([
		db.selectFrom('friendships').select(['user_id', 'friend_id']).where('user_id', 'in', viewers).where('friend_id', 'in', others).execute(),
		db
			.selectFrom('friend_requests')
			.select(['from_user_id', 'to_user_id'])
			.where('status', '=', 'pending')
			.where('from_user_id', 'in', everyone)
			.where('to_user_id', 'in', everyone)
			.execute()
	]);
	for (const f of friends) out.get(f.user_id)?.friends.add(f.friend_id);
	for (const p of pending) {
		out.get(p.from_user_id)?.outgoing.add(p.to_user_id);
		out.get(p.to_user_id)?.incoming.add(p.from_user_id);
	}
	return out;
}

/** Which of `otherIds` are `userId`'s friends: one query. */
export async function friendsAmong(db: Q, userId: string, otherIds: string[]): Promise<Set<string>> {
	if (otherIds.length === 0) return new Set();
	const rows = await db.selectFrom('friendships').select('friend_id').where('user_id', '=', userId).where('friend_id', 'in', [...new Set(otherIds)]).execute();
	return new Set(rows.map((r) => r.friend_id));
}

/** Deletes both rows of a friendship; false when there was none. */
export async function deleteFriendship(db: Q, a: string, b: string): Promise<boolean> {
	const result = await db
		.deleteFrom('friendships')
		.where((eb) => eb.or([eb.and([eb('user_id', '=', a), eb('friend_id', '=', b)]), eb.and([eb('user_id', '=', b), eb('friend_id', '=', a)])]))
		.executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}
