import type { Kysely, Transaction } from 'kysely';
import type { ThreadKind } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import { prepared } from '../../db/prepared.js';

type Q = Kysely<Database> | Transaction<Database>;

/** Between the sender and the other member of a private thread: what decides whether they may write. */
export interface PeerStanding {
	/** The sender blocked the other. */
	iBlocked: boolean;
	/** The other blocked the sender. */
	blockedMe: boolean;
	/** They are friends (the sender's row of the friendship). */
	friends: boolean;
}

/** What a text send needs to know before it stores anything; see `sendCheck`. */
export interface SendCheck {
	kind: ThreadKind;
	/** A private thread: both members; a group: the sender alone (the rest are read with the insert). */
	memberIds: string[];
	/** A private thread: the sender's standing with the other member. */
	peer?: PeerStanding;
	/** The sender's message with this clientId, stored before (a resend): its id. */
	earlierId: string | null;
}

const truthy = (v: unknown) => v === true || Number(v) === 1;

/**
 * Everything `messages:send` reads before the insert, in ONE query: whether `userId` is a member of
 * the thread and its kind (`audienceOf`); in a private thread, both members and the blocks and the
 * friendship between them (`BlocksService.assertMayWrite`); and whether this (sender, clientId) is
 * stored already (`findByClientId`). These were four queries a message (issue 15's profile: with the
 * query builder's work and the awaits, 16 % of the send path's CPU); as one they cost about one.
 * Undefined when the user is not a member (or there is no such thread): the caller then looks the
 * clientId up on its own, so a resend is still answered with its message.
 */
export async function sendCheck(db: Q, input: { threadId: string; userId: string; clientId: string }): Promise<SendCheck | undefined> {
	const { userId } = input;
	const rows = await sendCheckQuery(db, input);
	if (!rows.some((r) => r.user_id === userId)) return undefined;
	const other = rows[0].kind === 'private' ? rows.find((r) => r.user_id !== userId) : undefined;
	return {
		kind: rows[0].kind,
		memberIds: rows.map((r) => r.user_id),
		peer: other ? { iBlocked: truthy(other.i_blocked), blockedMe: truthy(other.blocked_me), friends: truthy(other.friends) } : undefined,
		earlierId: rows[0].earlier_id ?? null
	};
}

// Built and compiled once (server/db/prepared.ts): built each time it cost as much as the four queries.
const sendCheckQuery = prepared<'threadId' | 'userId' | 'clientId', { user_id: string; kind: ThreadKind; i_blocked: unknown; blocked_me: unknown; friends: unknown; earlier_id: string | null }>(
	(db, { threadId, userId, clientId }) =>
		db
			.selectFrom('thread_members as tm')
			.innerJoin('threads as t', 't.id', 'tm.thread_id')
			.select((eb) => [
				'tm.user_id',
				't.kind',
				eb
					.exists(eb.selectFrom('blocks').select('blocks.blocker_id').where('blocks.blocker_id', '=', userId).whereRef('blocks.blocked_id', '=', 'tm.user_id'))
					.as('i_blocked'),
				eb
					.exists(eb.selectFrom('blocks').select('blocks.blocker_id').whereRef('blocks.blocker_id', '=', 'tm.user_id').where('blocks.blocked_id', '=', userId))
					.as('blocked_me'),
				eb
					.exists(eb.selectFrom('friendships').select('friendships.user_id').where('friendships.user_id', '=', userId).whereRef('friendships.friend_id', '=', 'tm.user_id'))
					.as('friends'),
				eb.selectFrom('messages').select('messages.id').where('messages.sender_id', '=', userId).where('messages.client_id', '=', clientId).as('earlier_id')
			])
			.where('tm.thread_id', '=', threadId)
			.where((eb) => eb.or([eb('t.kind', '=', 'private'), eb('tm.user_id', '=', userId)]))
);
