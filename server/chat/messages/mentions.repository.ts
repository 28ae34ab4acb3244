import type { Kysely, Transaction } from 'kysely';
import { EVERYONE, mentionedNames } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import { blockersOf } from '../blocks/blocks.repository.js';
import type { MessageRow } from './messages.repository.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * Records whom a group message mentions, in its transaction (so by its seq): the members whose
 * username it names, and with `@everyone` from the owner or an admin every member; never the sender,
 * and never a member who blocked the sender (their mention does not count for them). Nothing is read
 * unless the text has an `@` name. Returns the mentioned user ids.
 */
export async function recordMentions(trx: Transaction<Database>, message: MessageRow): Promise<string[]> {
	const names = mentionedNames(message.text ?? '');
	if (names.length === 0) return [];
	const everyone = names.includes(EVERYONE);
	let query = trx
		.selectFrom('thread_members')
		.innerJoin('users', 'users.id', 'thread_members.user_id')
		.select(['thread_members.user_id', 'thread_members.role', 'users.username_key'])
		.where('thread_members.thread_id', '=', message.thread_id);
	if (!everyone) query = query.where((eb) => eb.or([eb('users.username_key', 'in', names), eb('thread_members.user_id', '=', message.sender_id)]));
	const rows = await query.execute();
	const sender = rows.find((r) => r.user_id === message.sender_id);
	const all = everyone && sender !== undefined && sender.role !== 'member';
	const named = new Set(names);
	const candidates = rows.filter((r) => r.user_id !== message.sender_id && (all || named.has(r.username_key))).map((r) => r.user_id);
	const blockers = await blockersOf(trx, message.sender_id, candidates);
	const ids = candidates.filter((id) => !blockers.has(id));
	if (ids.length > 0) await trx.insertInto('mentions').values(ids.map((user_id) => ({ user_id, thread_id: message.thread_id, seq: message.seq }))).execute();
	return ids;
}

/** A member's mentions above their readSeq, per thread (threads without any are left out). */
export async function unreadMentionsOf(db: Q, userId: string, threadIds: string[]): Promise<Map<string, number>> {
	if (threadIds.length === 0) return new Map();
	const rows = await db
		.selectFrom('mentions')
		.innerJoin('thread_members', (join) => join.onRef('thread_members.thread_id', '=', 'mentions.thread_id').onRef('thread_members.user_id', '=', 'mentions.user_id'))
		.select((eb) => ['mentions.thread_id', eb.fn.countAll<number | string>().as('n')])
		.where('mentions.user_id', '=', userId)
		.where('mentions.thread_id', 'in', threadIds)
		.whereRef('mentions.seq', '>', 'thread_members.read_seq')
		.groupBy('mentions.thread_id')
		.execute();
	return new Map(rows.map((r) => [r.thread_id, Number(r.n)]));
}

/** Every member's mentions above their readSeq in one thread, by user id. */
export async function unreadMentionsIn(db: Q, threadId: string): Promise<Map<string, number>> {
	const rows = await db
		.selectFrom('mentions')
		.innerJoin('thread_members', (join) => join.onRef('thread_members.thread_id', '=', 'mentions.thread_id').onRef('thread_members.user_id', '=', 'mentions.user_id'))
		.select((eb) => ['mentions.user_id', eb.fn.countAll<number | string>().as('n')])
		.where('mentions.thread_id', '=', threadId)
		.whereRef('mentions.seq', '>', 'thread_members.read_seq')
		.groupBy('mentions.user_id')
		.execute();
	return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
}
