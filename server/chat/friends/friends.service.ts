import type { Kysely } from 'kysely';
import type { Friend, FriendRequest, FriendsListResponse, FriendsRequestResponse, FriendsRespondResponse, Thread } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/database.js';
import { newId, nowIso } from '../../db/ids.js';
import { retryTransaction } from '../../db/transactions.js';
import { AppError, invalidInput } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ChatEmitter } from '../node/emitter.js';
import * as repo from './friends.repository.js';
import { pairKey } from './friends.table.js';
import * as threadsRepo from '../conversations/threads.repository.js';
import type { ThreadsService } from '../conversations/threads.service.js';
import type { UsersService } from './users.service.js';
import type { BlocksService } from '../blocks/blocks.service.js';
import * as usersRepo from './users.repository.js';
import { toFriendRequest } from '../views.js';

export interface FriendsDeps {
	db: Kysely<Database>;
	users: UsersService;
	threads: ThreadsService;
	emitter: ChatEmitter;
	/** Refuses a request to or from someone blocked. */
	blocks: Pick<BlocksService, 'assertMayReach'>;
	log: Logger;
}

/** How many times a request is re-evaluated when a concurrent one changed the pair's state. */
const RACE_ROUNDS = 4;

/**
 * Friend requests and friendships. At most one pending request per pair (either way, enforced by a
 * unique key), only the addressee answers, and accepting makes the friendship both ways and the pair's
 * private thread in one transaction. Every answer is idempotent, so a client may resend after a lost ack.
 */
export class FriendsService {
	constructor(private readonly deps: FriendsDeps) {}

	async request(me: string, input: { userId: string; message?: string }): Promise<FriendsRequestResponse> {
		const { db } = this.deps;
		const other = input.userId;
		if (other === me) throw invalidInput({ userId: 'is you' }, 'you cannot send a friend request to yourself');
		const card = await usersRepo.findCard(db, other);
		// A deleted account is no one to ask: alike to a user that never was.
		if (!card || card.deleted_at) throw new AppError('not_found', `user "${other}" not found`);
		await this.deps.blocks.assertMayReach(me, other);
		for (let round = 0; round < RACE_ROUNDS; round++) {
			if (await repo.findFriendship(db, me, other)) throw new AppError('already_friends', `you and user "${other}" are already friends`);
			const pending = await repo.findPendingBetween(db, me, other);
			if (pending?.from_user_id === me) return { request: await this.requestView(me, pending) };
			if (pending) {
				// They asked first: asking back is a yes.
				const accepted = await this.accept(me, pending);
				if (!accepted) continue;
				const row = (await repo.findRequest(db, pending.id))!;
				return { request: await this.requestView(me, row), ...accepted };
			}
			const row: repo.FriendRequestRow = {
				id: newId(),
				from_user_id: me,
				to_user_id: other,
				message: input.message ?? '',
				status: 'pending',
				pending_key: pairKey(me, other),
				created_at: nowIso(),
				responded_at: null
			};
			try {
				await repo.insertRequest(db, row);
			} catch (error) {
				// A request between the two appeared meanwhile (a resend, or the other person asking).
				if (isUniqueViolation(error)) continue;
				throw error;
			}
			this.deps.log.with({ user: me, request: row.id }).debug(`asked user "${other}" to be friends`);
			// Each side sees the request with cards from their own side.
			this.deps.emitter.toUsers([other], 'friends:requested', { request: await this.requestView(other, row) });
			const mine = await this.requestView(me, row);
			this.deps.emitter.toUsers([me], 'friends:requested', { request: mine });
			return { request: mine };
		}
		throw new AppError('conflict', `the friend request to user "${other}" kept changing while it was sent; try again`);
	}

	async respond(me: string, input: { requestId: string; accept: boolean }): Promise<FriendsRespondResponse> {
		for (let round = 0; round < RACE_ROUNDS; round++) {
			const row = await this.requireParty(me, input.requestId);
			if (row.to_user_id !== me) throw new AppError('forbidden', `only the person asked can answer friend request "${row.id}"`);
			if (input.accept) {
				if (row.status === 'accepted') return this.friendView(me, row.from_user_id);
				if (row.status !== 'pending') throw alreadyClosed(row);
				const accepted = await this.accept(me, row);
				if (accepted) return accepted;
			} else {
				if (row.status === 'declined') return {};
				if (row.status !== 'pending') throw alreadyClosed(row);
				if (await this.close(row, 'declined')) return {};
			}
		}
		throw new AppError('conflict', `friend request "${input.requestId}" kept changing while it was answered; try again`);
	}

	/** The sender withdraws a pending request (extension). */
	async cancel(me: string, input: { requestId: string }): Promise<void> {
		for (let round = 0; round < RACE_ROUNDS; round++) {
			const row = await this.requireParty(me, input.requestId);
			if (row.from_user_id !== me) throw new AppError('forbidden', `only the sender can cancel friend request "${row.id}"; decline it instead`);
			if (row.status === 'cancelled') return;
			if (row.status !== 'pending') throw alreadyClosed(row);
			if (await this.close(row, 'cancelled')) return;
		}
		throw new AppError('conflict', `friend request "${input.requestId}" kept changing while it was cancelled; try again`);
	}

	async list(me: string): Promise<FriendsListResponse> {
		const { db } = this.deps;
		const [friendRows, incoming, outgoing] = await Promise.all([repo.friendsOf(db, me), repo.pendingRequests(db, me, 'incoming'), repo.pendingRequests(db, me, 'outgoing')]);
		const cards = await this.deps.users.cardsById(me, [me, ...friendRows.map((f) => f.id), ...incoming.map((r) => r.from_user_id), ...outgoing.map((r) => r.to_user_id)]);
		const friends: Friend[] = friendRows.map((f) => {
			const user = cards.get(f.id)!;
			return { user, online: user.online ?? false, threadId: f.thread_id, since: f.since };
		});
		const view = (r: repo.FriendRequestRow) => toFriendRequest(r, cards.get(r.from_user_id)!, cards.get(r.to_user_id)!);
		return { friends, incoming: incoming.map(view), outgoing: outgoing.map(view) };
	}

	/** The request if `me` is one of its two people; `not_found` for anyone else. */
	private async requireParty(me: string, requestId: string): Promise<repo.FriendRequestRow> {
		const row = await repo.findRequest(this.deps.db, requestId);
		if (!row || (row.from_user_id !== me && row.to_user_id !== me)) throw new AppError('not_found', `friend request "${requestId}" not found`);
		return row;
	}

	/**
	 * Accepts a pending request addressed to `me`: closes it, makes the private thread and the
	 * friendship both ways, in one transaction. Null when the request was no longer pending (the caller
	 * looks again). Tells both people's devices.
	 */
	private async accept(me: string, row: repo.FriendRequestRow): Promise<{ friend: Friend; thread: Thread } | null> {
		const { db } = this.deps;
		const requester = row.from_user_id;
		const threadId = await retryTransaction(
			() =>
				db.transaction().execute(async (trx) => {
					const now = nowIso();
					if (!(await repo.closeRequest(trx, row.id, 'accepted', now))) return null;
					const id = await threadsRepo.ensurePrivateThread(trx, requester, me, now);
					await repo.insertFriendship(trx, requester, me, id, now);
					return id;
				}),
			{ log: this.deps.log, what: `accept friend request "${row.id}"` }
		);
		if (!threadId) return null;
		this.deps.log.with({ user: me, request: row.id }).debug(`now friends with user "${requester}"`);
		const theirs = await this.friendView(requester, me);
		this.deps.emitter.toUsers([requester], 'friends:added', theirs);
		const mine = await this.friendView(me, requester);
		this.deps.emitter.toUsers([me], 'friends:added', mine);
		return mine;
	}

	/** Declines or cancels a pending request; false when it was no longer pending. */
	private async close(row: repo.FriendRequestRow, status: 'declined' | 'cancelled'): Promise<boolean> {
		if (!(await repo.closeRequest(this.deps.db, row.id, status, nowIso()))) return false;
		this.deps.emitter.toUsers([row.from_user_id, row.to_user_id], 'friends:closed', { requestId: row.id, status });
		return true;
	}

	/** `friendId` as a friend of `me`, and their thread as `me` sees it. */
	private async friendView(me: string, friendId: string): Promise<{ friend: Friend; thread: Thread }> {
		const friendship = await repo.findFriendship(this.deps.db, me, friendId);
		if (!friendship) throw new Error(`friendship of "${me}" with "${friendId}" is missing`);
		const thread = await this.deps.threads.get(me, friendship.thread_id);
		const user = (await this.deps.users.cardsById(me, [friendId])).get(friendId)!;
		return { friend: { user, online: user.online ?? false, threadId: friendship.thread_id, since: friendship.created_at }, thread };
	}

	private async requestView(viewer: string, row: repo.FriendRequestRow): Promise<FriendRequest> {
		const cards = await this.deps.users.cardsById(viewer, [row.from_user_id, row.to_user_id]);
		return toFriendRequest(row, cards.get(row.from_user_id)!, cards.get(row.to_user_id)!);
	}
}

function alreadyClosed(row: repo.FriendRequestRow): AppError {
	return new AppError('conflict', `friend request "${row.id}" was already ${row.status}`);
}
