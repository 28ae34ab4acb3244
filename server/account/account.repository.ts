import type { Transaction } from 'kysely';
import { DELETED_USER_NAME, type SystemEvent, type SystemPerson } from '../../src/lib/protocol/index.js';
import { deleteSessionsOfUser } from '../auth/auth.repository.js';
import { deleteMember, lockGroup, setRole, updateGroup } from '../chat/conversations/groups.repository.js';
import { groupIdsOf, memberIdsOf, membersOf } from '../chat/conversations/threads.repository.js';
import { findCards } from '../chat/friends/users.repository.js';
import { insertNext, type MessageRow } from '../chat/messages/messages.repository.js';
import type { Database } from '../db/schema.js';
import { newId } from '../db/ids.js';

type T = Transaction<Database>;

/**
 * What a deleted account's `username_key` and `email_key` hold: `~deleted~` and its id (29
 * characters). No username can (letters, digits and `._-` only) and no email can (it has no `@`), so
 * both are free for anyone at once, and the unique indexes still hold.
 */
export const tombstoneKey = (userId: string) => `~deleted~${userId}`;

/** What one account's deletion removed, for what is told and cleaned up once it is committed. */
export interface Removed {
	sessionIds: string[];
	friendIds: string[];
	/** Private threads with people who stay (readable, no longer writable). */
	privateThreads: Array<{ threadId: string; peerIds: string[] }>;
	/** Pending requests to or from the account, now gone, with the other person. */
	requests: Array<{ requestId: string; otherId: string }>;
	/** The groups it left: the system lines written (with who gets them); `closed` when nobody is left. */
	groups: Array<{ threadId: string; lines: MessageRow[]; to: string[]; closed: boolean }>;
	/** Its files, rows gone: their bytes go after the commit; messages carrying them show them deleted. */
	files: Array<{ id: string; upload_id: string; threadIds: string[] }>;
	/** The picture it had, to remove from disk. */
	avatar: string | null;
}

/**
 * Deletes the account inside `trx`: the users row stays as an anonymised tombstone ("Deleted user",
 * no picture, keys freed, a password hash nothing verifies), so messages keep their sender; every row
 * that is the account's own goes. Undefined when there is no such live account.
 */
export async function deleteAccount(trx: T, userId: string, now: string): Promise<Removed | undefined> {
	const user = await trx.selectFrom('users').select(['id', 'avatar', 'deleted_at']).where('id', '=', userId).executeTakeFirst();
	if (!user || user.deleted_at) return undefined;
	await trx
		.updateTable('users')
		.set({
			username: 'deleted',
			username_key: tombstoneKey(userId),
			email: '',
			email_key: tombstoneKey(userId),
			display_name: DELETED_USER_NAME,
			bio: '',
			avatar: null,
			// Not a hash of anything: argon2 refuses to verify against it, so no password signs in.
			password_hash: '!deleted',
			deleted_at: now,
			updated_at: now
		})
		.where('id', '=', userId)
		.execute();
	const sessionIds = await deleteSessionsOfUser(trx, userId);

	const friendRows = await trx.selectFrom('friendships').select(['friend_id']).where('user_id', '=', userId).execute();
	await trx
		.deleteFrom('friendships')
		.where((eb) => eb.or([eb('user_id', '=', userId), eb('friend_id', '=', userId)]))
		.execute();

	const pending = await trx
		.selectFrom('friend_requests')
		.select(['id', 'from_user_id', 'to_user_id'])
		.where('status', '=', 'pending')
		.where((eb) => eb.or([eb('from_user_id', '=', userId), eb('to_user_id', '=', userId)]))
		.execute();
	await trx
		.deleteFrom('friend_requests')
		.where((eb) => eb.or([eb('from_user_id', '=', userId), eb('to_user_id', '=', userId)]))
		.execute();
	await trx
		.deleteFrom('blocks')
		.where((eb) => eb.or([eb('blocker_id', '=', userId), eb('blocked_id', '=', userId)]))
		.execute();
	await trx.deleteFrom('mentions').where('user_id', '=', userId).execute();
	await trx.deleteFrom('push_subscriptions').where('user_id', '=', userId).execute();
	await trx.deleteFrom('stream_keys').where('user_id', '=', userId).execute();

	// Private threads keep both members: the other one still reads them (and sees "Deleted user").
	const privateRows = await trx
		.selectFrom('thread_members as mine')
		.innerJoin('threads', 'threads.id', 'mine.thread_id')
		.innerJoin('thread_members as other', 'other.thread_id', 'mine.thread_id')
		.select(['threads.id as thread_id', 'other.user_id'])
		.where('mine.user_id', '=', userId)
		.where('threads.kind', '=', 'private')
		.where('other.user_id', '!=', userId)
		.execute();
	const privateThreads = privateRows.map((r) => ({ threadId: r.thread_id, peerIds: [r.user_id] }));

	const groups: Removed['groups'] = [];
	for (const threadId of (await groupIdsOf(trx, userId)).sort()) {
		const left = await leaveGroup(trx, threadId, userId, now);
		if (left) groups.push(left);
	}

	const files = await trx.selectFrom('files').select(['id', 'upload_id']).where('owner_id', '=', userId).execute();
	const carrying = files.length === 0 ? [] : await trx.selectFrom('messages').select(['file_id', 'thread_id']).distinct().where('file_id', 'in', files.map((f) => f.id)).execute();
	await trx.deleteFrom('files').where('owner_id', '=', userId).execute();

	return {
		sessionIds,
		friendIds: friendRows.map((r) => r.friend_id),
		privateThreads,
		requests: pending.map((r) => ({ requestId: r.id, otherId: r.from_user_id === userId ? r.to_user_id : r.from_user_id })),
		groups,
		files: files.map((f) => ({ ...f, threadIds: carrying.filter((c) => c.file_id === f.id).map((c) => c.thread_id) })),
		avatar: user.avatar ?? null
	};
}

/**
 * As `groups:leave` (server/chat/conversations/groups.service.ts), under the group's row lock: a `left`
 * line, an owner's group handed to the admin who joined first, else the member who joined first; a
 * group nobody is left in is closed.
 */
async function leaveGroup(trx: T, threadId: string, userId: string, now: string): Promise<Removed['groups'][number] | undefined> {
	const thread = await lockGroup(trx, threadId);
	if (!thread) return undefined;
	const members = await membersOf(trx, [threadId]);
	const me = members.find((m) => m.user_id === userId);
	if (!me) return undefined;
	const actor: SystemPerson = { id: userId, name: DELETED_USER_NAME };
	const line = (event: SystemEvent) =>
		insertNext(trx, { id: newId(), thread_id: threadId, sender_id: userId, client_id: newId(), kind: 'system', text: JSON.stringify(event), file_id: null, created_at: now });
	await deleteMember(trx, threadId, userId);
	const lines = [await line({ type: 'left', actor })];
	const rest = members.filter((m) => m.user_id !== userId);
	if (rest.length === 0) {
		await updateGroup(trx, threadId, { closed_at: now });
		return { threadId, lines, to: [], closed: true };
	}
	if (me.role === 'owner') {
		const heir = rest.find((m) => m.role === 'admin') ?? rest[0];
		await setRole(trx, threadId, heir.user_id, 'owner');
		const name = (await findCards(trx, [heir.user_id])).get(heir.user_id)?.display_name ?? heir.user_id;
		lines.push(await line({ type: 'role', actor, users: [{ id: heir.user_id, name }], role: 'owner' }));
	}
	return { threadId, lines, to: await memberIdsOf(trx, threadId, { locking: true }), closed: false };
}
