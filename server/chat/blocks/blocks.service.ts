import type { Kysely, Transaction } from 'kysely';
import { ACCOUNT_DELETED, NOT_REACHABLE, notReachableAmong, type UserCard } from '../../../src/lib/protocol/index.js';
import type { Database } from '../../db/schema.js';
import { nowIso } from '../../db/ids.js';
import { AppError, invalidInput } from '../../errors.js';
import type { Logger } from '../../logger.js';
import * as friendsRepo from '../friends/friends.repository.js';
import type { UsersService } from '../friends/users.service.js';
import * as usersRepo from '../friends/users.repository.js';
import type { ChatEmitter } from '../node/emitter.js';
import * as repo from './blocks.repository.js';

export interface BlocksDeps {
	db: Kysely<Database>;
	users: UsersService;
	emitter: ChatEmitter;
	log: Logger;
}

/**
 * Blocks and the end of friendships (docs/PROTOCOL.md, "Unfriend and block"). Stored in the database,
 * so a block made through one chat node holds on every other at once. Someone blocked learns nothing:
 * what they try gets the same neutral refusal (`NOT_REACHABLE`) and they get no event.
 */
export class BlocksService {
	constructor(private readonly deps: BlocksDeps) {}

	async block(me: string, other: string): Promise<void> {
		const { db, emitter } = this.deps;
		await this.requireOther(me, other);
		const added = await repo.insertBlock(db, me, other, nowIso());
		// A pending request between the two ends with the block: theirs declined, yours cancelled.
		const pending = await friendsRepo.findPendingBetween(db, me, other);
		if (pending) {
			const status = pending.from_user_id === me ? 'cancelled' : 'declined';
			if (await friendsRepo.closeRequest(db, pending.id, status, nowIso())) emitter.toUsers([me, other], 'friends:closed', { requestId: pending.id, status });
		}
		if (added) this.deps.log.with({ user: me }).debug(`blocked user "${other}"`);
		emitter.toUsers([me], 'users:blocked:changed', { userId: other, blocked: true });
	}

	async unblock(me: string, other: string): Promise<void> {
		await this.requireOther(me, other);
		await repo.deleteBlock(this.deps.db, me, other);
		this.deps.emitter.toUsers([me], 'users:blocked:changed', { userId: other, blocked: false });
	}

	/** The people `me` blocked, newest first, as `me` sees them. */
	async list(me: string): Promise<UserCard[]> {
		const ids = await repo.blockedBy(this.deps.db, me);
		const cards = await this.deps.users.cardsById(me, ids);
		return ids.flatMap((id) => (cards.has(id) ? [cards.get(id)!] : []));
	}

	/** Ends a friendship both ways (idempotent); both people's devices get `friends:removed`. */
	async unfriend(me: string, other: string): Promise<void> {
		await this.requireOther(me, other);
		if (!(await friendsRepo.deleteFriendship(this.deps.db, me, other))) return;
		this.deps.log.with({ user: me }).debug(`no longer friends with user "${other}"`);
		this.deps.emitter.toUsers([me], 'friends:removed', { userId: other });
		this.deps.emitter.toUsers([other], 'friends:removed', { userId: me });
	}

	/**
	 * Throws when `from` may not reach `to` (a friend request, a call): `forbidden`, plainly when `from`
	 * blocked `to`, with the neutral `NOT_REACHABLE` when `to` blocked `from`.
	 */
	async assertMayReach(from: string, to: string): Promise<void> {
		const { aBlockedB: iBlocked, bBlockedA: blockedMe } = await repo.between(this.deps.db, from, to);
		const refusal = writeRefusal({ iBlocked, blockedMe, friends: true }, to);
		if (refusal) throw refusal;
	}

	/** As `assertMayReach`, and the two must be friends: what writing in a private thread takes. */
	async assertMayWrite(from: string, to: string): Promise<void> {
		await this.assertMayReach(from, to);
		const refusal = await refusalToWrite(this.deps.db, { iBlocked: false, blockedMe: false, friends: !!(await friendsRepo.findFriendship(this.deps.db, from, to)) }, to);
		if (refusal) throw refusal;
	}

	private async requireOther(me: string, other: string): Promise<void> {
		if (other === me) throw invalidInput({ userId: 'is you' }, 'you cannot do that to yourself');
		if (!(await usersRepo.findCard(this.deps.db, other))) throw new AppError('not_found', `user "${other}" not found`);
	}
}

/**
 * Why someone may not write to `to` in their private thread, or null when they may: `forbidden`,
 * plainly when they blocked `to`, with the neutral `NOT_REACHABLE` when `to` blocked them, and when
 * the two are no longer friends. `assertMayWrite`'s answer, for a caller that read the standing itself
 * (`messages:send` reads it with the rest of its checks in one query: messages/send-check.repository.ts).
 */
/**
 * `writeRefusal`, and when the two are not friends because `to` deleted the account, the refusal says
 * so (`ACCOUNT_DELETED`). The deleted check reads only on that refusal's path, never on a send that passes.
 */
export async function refusalToWrite(db: Kysely<Database> | Transaction<Database>, standing: { iBlocked: boolean; blockedMe: boolean; friends: boolean }, to: string): Promise<AppError | null> {
	const refusal = writeRefusal(standing, to);
	if (refusal && !standing.iBlocked && !standing.blockedMe && (await usersRepo.findCard(db, to))?.deleted_at) return new AppError('forbidden', ACCOUNT_DELETED);
	return refusal;
}

export function writeRefusal(standing: { iBlocked: boolean; blockedMe: boolean; friends: boolean }, to: string): AppError | null {
	if (standing.iBlocked) return new AppError('forbidden', `you blocked user "${to}"; unblock them first`);
	if (standing.blockedMe) return new AppError('forbidden', NOT_REACHABLE);
	if (!standing.friends) return new AppError('forbidden', `you and user "${to}" are no longer friends; send a friend request to write again`);
	return null;
}

/**
 * Throws unless `actorId` may put all of `userIds` in a group (`groups:create`, `groups:add`): as for a
 * friend request, `forbidden` plainly for someone the actor blocked, and the neutral `NOT_REACHABLE`
 * words (`notReachableAmong`) for someone who blocked the actor. Nobody is added when one is refused.
 */
export async function assertMayAddToGroup(db: Kysely<Database> | Transaction<Database>, actorId: string, userIds: readonly string[]): Promise<void> {
	const { blocked, blockers } = await repo.blocksAround(db, actorId, userIds);
	if (blocked.length > 0) throw new AppError('forbidden', `you blocked user "${blocked[0]}"; unblock them first`);
	if (blockers.length > 0) throw new AppError('forbidden', notReachableAmong(blockers));
}
