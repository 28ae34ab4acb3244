import type { Kysely } from 'kysely';
import { CHAT_LIMITS, MUTE_MAX_MS, MUTED_FOREVER, type Thread } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import { nowIso } from '../../db/ids.js';
import { retryTransaction } from '../../db/transactions.js';
import { AppError, invalidInput } from '../../errors.js';
import type { Logger } from '../../logger.js';
import * as friendsRepo from '../friends/friends.repository.js';
import * as mentionsRepo from '../messages/mentions.repository.js';
import * as messagesRepo from '../messages/messages.repository.js';
import * as unreadRepo from '../messages/unread.repository.js';
import * as repo from './threads.repository.js';
import type { UsersService } from '../friends/users.service.js';
import { toMessage } from '../views.js';
import { toThread } from './threads.views.js';
import { fileRefsOf } from '../../files/views.js';

export interface ThreadsDeps {
	db: Kysely<Database>;
	users: UsersService;
	log: Logger;
}

/** Threads as their members see them. Every access checks membership first. */
export class ThreadsService {
	constructor(private readonly deps: ThreadsDeps) {}

	/**
	 * The thread with `userId`'s receipts; `not_found` when there is no such thread or the user is not
	 * a member: outsiders cannot tell the two apart.
	 */
	async requireMember(threadId: string, userId: string): Promise<repo.MemberThreadRow> {
		const row = await repo.findMemberThread(this.deps.db, threadId, userId);
		if (!row) throw new AppError('not_found', `thread "${threadId}" not found`);
		return row;
	}

	async get(userId: string, threadId: string): Promise<Thread> {
		return (await this.views(userId, [await this.requireMember(threadId, userId)]))[0];
	}

	/** The private thread with a friend (made if missing); `forbidden` with anyone else. */
	async open(userId: string, otherId: string): Promise<Thread> {
		if (otherId === userId) throw invalidInput({ userId: 'is you' }, 'you cannot open a chat with yourself');
		const friendship = await friendsRepo.findFriendship(this.deps.db, userId, otherId);
		if (!friendship) throw new AppError('forbidden', `user "${otherId}" is not your friend; chats are between friends`);
		const existing = await repo.findMemberThread(this.deps.db, friendship.thread_id, userId);
		if (existing) return (await this.views(userId, [existing]))[0];
		// Only reachable if the thread row was lost; make it again, idempotently.
		const threadId = await retryTransaction(() => this.deps.db.transaction().execute((trx) => repo.ensurePrivateThread(trx, userId, otherId, nowIso())));
		return this.get(userId, threadId);
	}

	/**
	 * Mutes the thread for `userId` until `until` (an ISO time; 'forever'; null or a past time: unmutes).
	 * Resolves to the thread as they see it now.
	 */
	async mute(userId: string, threadId: string, until: string | null): Promise<Thread> {
		let stored: string | null = null;
		if (until === 'forever') stored = MUTED_FOREVER;
		else if (until !== null) {
			const at = Date.parse(until);
			if (Number.isNaN(at)) throw invalidInput({ until: 'is not a time' }, `until: "${until}" is not a time`);
			if (at - Date.now() > MUTE_MAX_MS) throw invalidInput({ until: 'is more than a year ahead; use "forever"' }, 'until: is more than a year ahead; use "forever"');
			stored = at > Date.now() ? new Date(at).toISOString() : null;
		}
		if (!(await repo.setMutedUntil(this.deps.db, { threadId, userId, until: stored }))) throw new AppError('not_found', `thread "${threadId}" not found`);
		return this.get(userId, threadId);
	}

	/** A page of the user's threads, newest activity first. */
	async list(userId: string, input: { cursor?: string; limit?: number }): Promise<{ threads: Thread[]; nextCursor: string | null }> {
		const limit = input.limit ?? CHAT_LIMITS.threadsPageDefault;
		const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
		const rows = await repo.listMemberThreads(this.deps.db, { userId, limit, after });
		const page = rows.slice(0, limit);
		const last = page.at(-1);
		return {
			threads: await this.views(userId, page),
			nextCursor: rows.length > limit && last ? encodeCursor({ updatedAt: last.updated_at, id: last.id }) : null
		};
	}

	/** The threads as `viewerId` (a member of each) sees them, in the order given. */
	async views(viewerId: string, rows: repo.MemberThreadRow[]): Promise<Thread[]> {
		if (rows.length === 0) return [];
		const ids = rows.map((r) => r.id);
		const [members, lastMessages, unread] = await Promise.all([repo.membersOf(this.deps.db, ids), messagesRepo.lastMessagesOf(this.deps.db, ids), unreadRepo.unreadOf(this.deps.db, viewerId, ids)]);
		const files = await fileRefsOf(this.deps.db, [...lastMessages.values()]);
		const groupIds = new Set(rows.filter((r) => r.kind === 'group').map((r) => r.id));
		const [cards, online, mentions] = await Promise.all([
			this.deps.users.cardsById(
				viewerId,
				members.map((m) => m.user_id)
			),
			this.deps.users.onlineAmong(members.filter((m) => groupIds.has(m.thread_id)).map((m) => m.user_id)),
			mentionsRepo.unreadMentionsOf(this.deps.db, viewerId, [...groupIds])
		]);
		return rows.map((row) => {
			const last = lastMessages.get(row.id);
			return toThread({
				thread: row,
				viewerId,
				members: members.filter((m) => m.thread_id === row.id),
				cards,
				lastMessage: last ? toMessage(last, files) : null,
				online: row.kind === 'group' ? online : undefined,
				mentions: mentions.get(row.id),
				unread: unread.get(row.id) ?? 0,
				receipts: row
			});
		});
	}

	/**
	 * A thread as each of its members sees it (for `thread:updated`), by member id, in a fixed number
	 * of queries whatever the group's size. Empty when the thread is gone or has no members.
	 */
	async viewsForMembers(threadId: string): Promise<Map<string, Thread>> {
		const { db } = this.deps;
		const [thread, members, lastMessages, unread] = await Promise.all([
			repo.findThread(db, threadId),
			repo.membersOf(db, [threadId]),
			messagesRepo.lastMessagesOf(db, [threadId]),
			unreadRepo.unreadIn(db, threadId)
		]);
		const out = new Map<string, Thread>();
		if (!thread || members.length === 0) return out;
		const last = lastMessages.get(threadId);
		const lastMessage = last ? toMessage(last, await fileRefsOf(db, [last])) : null;
		const ids = members.map((m) => m.user_id);
		const [cards, online, mentions] = await Promise.all([
			this.deps.users.cardsForViewers(ids, ids),
			this.deps.users.onlineAmong(ids),
			thread.kind === 'group' ? mentionsRepo.unreadMentionsIn(db, threadId) : new Map<string, number>()
		]);
		const shown = thread.kind === 'group' ? online : undefined;
		for (const id of ids) out.set(id, toThread({ thread, viewerId: id, members, cards: cards.get(id)!, lastMessage, online: shown, mentions: mentions.get(id), unread: unread.get(id) ?? 0 }));
		return out;
	}
}

// The cursor is opaque to clients: the last thread's sort key, base64url JSON.
function encodeCursor(position: { updatedAt: string; id: string }): string {
	return Buffer.from(JSON.stringify([position.updatedAt, position.id])).toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: string; id: string } {
	try {
		const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
		if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && value[0].length <= 24 && value[1].length <= CHAT_LIMITS.idMax) {
			return { updatedAt: value[0], id: value[1] };
		}
	} catch {
		// falls through to the error below
	}
	throw invalidInput({ cursor: 'is not one this server made' }, 'cursor: is not one this server made; pass back nextCursor as it was given');
}
