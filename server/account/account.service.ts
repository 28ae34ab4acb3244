import type { Kysely } from 'kysely';
import type { Thread } from '../../src/lib/protocol/index.js';
import { findUserById } from '../auth/auth.repository.js';
import { verifyPassword } from '../auth/passwords.js';
import type { Limiter } from '../auth/rate-limits.js';
import { memberIdsOf } from '../chat/conversations/threads.repository.js';
import { findCard } from '../chat/friends/users.repository.js';
import type { ChatEmitter } from '../chat/node/emitter.js';
import { toCard, toMessage } from '../chat/views.js';
import type { Database } from '../db/schema.js';
import { nowIso } from '../db/ids.js';
import { retryTransaction } from '../db/transactions.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { deleteAccount, type Removed } from './account.repository.js';

export interface AccountDeps {
	db: Kysely<Database>;
	/** Failed confirmations per account and client address, counted as failed sign-ins are. */
	failures: Limiter;
	/** Reaches devices on any node; null where nothing can (no chat role and no Redis). */
	emitter: () => ChatEmitter | null;
	/** The chat role's thread views, for `thread:updated`; undefined where it does not run. */
	threads: () => { viewsForMembers(threadId: string): Promise<Map<string, Thread>> } | undefined;
	/** The files role's disk clean-up; undefined where it does not run (its expiry sweep then takes the uploads). */
	files: () => { discardAccount(userId: string, removed: Pick<Removed, 'files' | 'avatar'>): Promise<void> } | undefined;
	log: Logger;
}

/**
 * Deleting an account (docs/PROTOCOL.md, "Deleting the account"): the password confirms it, one
 * transaction removes what is the account's own and leaves an anonymised users row behind (its
 * messages keep their sender, shown as "Deleted user"), then everyone concerned is told and the
 * files leave the disk. Nothing is told or removed from disk before the commit.
 */
export class AccountService {
	constructor(private readonly deps: AccountDeps) {}

	async delete(userId: string, password: string, ip: string): Promise<void> {
		const { db, failures, log } = this.deps;
		const key = `user:${userId}@${ip}`;
		await failures.check(key);
		const row = await findUserById(db, userId);
		if (!row || row.deleted_at) throw new AppError('unauthorized', 'sign in first: this account no longer exists');
		if (!(await verifyPassword(row.password_hash, password))) {
			await failures.penalize(key);
			throw new AppError('forbidden', 'wrong password: the account was not deleted', { fields: { password: 'wrong password' } });
		}
		const removed = await retryTransaction(() => db.transaction().execute((trx) => deleteAccount(trx, userId, nowIso())), { log, what: `delete account "${userId}"` });
		if (!removed) throw new AppError('unauthorized', 'sign in first: this account no longer exists');
		await failures.reset(key);
		log.with({ user: userId }).info(`account deleted: ${removed.sessionIds.length} session(s), ${removed.friendIds.length} friend(s), ${removed.groups.length} group(s), ${removed.files.length} file(s)`);
		// Committed: what follows may fail in part (logged) without undoing or hiding the deletion.
		await this.announce(userId, removed).catch((error) => log.error('announcing an account deletion failed', error));
		const files = this.deps.files();
		if (files) await files.discardAccount(userId, removed).catch((error) => log.error(`removing the files of deleted account "${userId}" failed`, error));
		else if (removed.files.length > 0 || removed.avatar) log.warn(`the files of deleted account "${userId}" stay on the files role's disk until its expiry sweep (this process does not run that role)`);
	}

	/** After the commit: sessions end, friends' lists and threads update, groups get their lines. */
	private async announce(userId: string, removed: Removed): Promise<void> {
		const emitter = this.deps.emitter();
		if (!emitter) return;
		emitter.endSessions(removed.sessionIds, 'account_deleted');
		for (const friendId of removed.friendIds) emitter.toUsers([friendId], 'friends:removed', { userId });
		for (const { requestId, otherId } of removed.requests) emitter.toUsers([otherId], 'friends:closed', { requestId, status: 'cancelled' });
		for (const group of removed.groups) for (const line of group.lines) emitter.toUsers(group.to, 'message:new', { message: toMessage(line) });
		// Everyone who shows the account anywhere gets its tombstone card.
		const card = await findCard(this.deps.db, userId);
		const viewers = new Set([...removed.friendIds, ...removed.privateThreads.flatMap((t) => t.peerIds), ...removed.groups.flatMap((g) => g.to)]);
		if (card && viewers.size > 0) emitter.toUsers([...viewers], 'user:updated', { user: toCard(card, 'none') });
		for (const file of removed.files) {
			for (const threadId of file.threadIds) emitter.toUsers(await memberIdsOf(this.deps.db, threadId), 'file:deleted', { fileId: file.id, threadId });
		}
		const threads = this.deps.threads();
		if (!threads) return;
		for (const threadId of [...removed.privateThreads.map((t) => t.threadId), ...removed.groups.filter((g) => !g.closed).map((g) => g.threadId)]) {
			for (const [memberId, thread] of await threads.viewsForMembers(threadId)) if (memberId !== userId) emitter.toUsers([memberId], 'thread:updated', { thread });
		}
	}
}
