import type { Kysely, Transaction } from 'kysely';
import type { GroupRole, SystemEvent, SystemPerson, Thread, ThreadRemovedReason } from '../../../src/lib/protocol/index.js';
import type { Limiter } from '../../auth/rate-limits.js';
import type { Database } from '../../db/schema.js';
import { newId, nowIso } from '../../db/ids.js';
import { retryTransaction } from '../../db/transactions.js';
import { AppError, invalidInput } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { assertMayAddToGroup } from '../blocks/blocks.service.js';
import { friendsAmong } from '../friends/friends.repository.js';
import { findCards } from '../friends/users.repository.js';
import * as messagesRepo from '../messages/messages.repository.js';
import type { ChatEmitter } from '../node/emitter.js';
import { toMessage } from '../views.js';
import * as repo from './groups.repository.js';
import { findMemberThread, memberIdsOf, membersOf, type MemberRow } from './threads.repository.js';
import type { ThreadsService } from './threads.service.js';
import type { ThreadsTable } from './threads.table.js';

export interface GroupsDeps {
	db: Kysely<Database>;
	threads: ThreadsService;
	emitter: ChatEmitter;
	/** `GROUP_MAX_MEMBERS`: most people one group may hold, its creator included. */
	maxMembers: number;
	/** Spends a point per change request of a user (not `leave`: leaving always works). */
	changeLimiter: Limiter;
	log: Logger;
}

/** What one change to a group did, for what is sent once it is committed. */
interface Change {
	threadId: string;
	/** The system lines it wrote, each with the members at its seq (who get it). */
	lines: Array<{ row: messagesRepo.MessageRow; to: string[] }>;
	/** Who lost access, and why. */
	removed?: { userId: string; reason: ThreadRemovedReason };
}

/** What a change's `decide` works with, inside its transaction, under the group's row lock. */
interface Scope {
	trx: Transaction<Database>;
	thread: ThreadsTable;
	members: MemberRow[];
	actor: MemberRow;
	now: string;
	/** The person as a system line names them (display name of this moment). */
	person(userId: string): Promise<SystemPerson>;
	/** `person` for many, in one query. */
	people(userIds: string[]): Promise<SystemPerson[]>;
	/** Writes a system line under the thread's next seq, sent by the actor. */
	line(event: SystemEvent): Promise<void>;
	change: Change;
}

const notFound = (threadId: string) => new AppError('not_found', `thread "${threadId}" not found`);

/** "a", "a and b", "a, b and 3 more": ids named in an error message. */
function listed(ids: string[]): string {
	const shown = ids.slice(0, 5).map((id) => `"${id}"`);
	const more = ids.length - shown.length;
	if (more > 0) return `${shown.join(', ')} and ${more} more`;
	return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : shown.join('');
}

/**
 * Groups (docs/PROTOCOL.md, "Groups"): every change runs in one transaction that takes the group's
 * thread row lock first, checks the actor's role there, changes the membership and writes its system
 * line(s) under the thread's next seq, exactly as a message is stored. Messages take the same lock,
 * so each one is ordered before or after every change, and reaches the members of its moment.
 */
export class GroupsService {
	constructor(private readonly deps: GroupsDeps) {}

	/** A new group of the actor (owner) and friends of theirs; its first line is `created`. */
	async create(actorId: string, input: { title: string; memberIds: string[]; topic?: string }): Promise<Thread> {
		const { db, maxMembers } = this.deps;
		await this.deps.changeLimiter.consume(actorId);
		const ids = [...new Set(input.memberIds)].filter((id) => id !== actorId);
		if (ids.length === 0) throw invalidInput({ memberIds: 'names no one but you' }, 'memberIds: name at least one friend besides yourself');
		if (ids.length + 1 > maxMembers) {
			throw invalidInput({ memberIds: `would make ${ids.length + 1} people` }, `a group holds at most ${maxMembers} people; this one would have ${ids.length + 1}`);
		}
		const friends = await friendsAmong(db, actorId, ids);
		this.onlyFriends(ids, friends, 'memberIds');
		await assertMayAddToGroup(db, actorId, ids);
		const threadId = newId();
		const change: Change = { threadId, lines: [] };
		await retryTransaction(
			() =>
				db.transaction().execute(async (trx) => {
					change.lines = [];
					const now = nowIso();
					await repo.insertGroup(trx, { id: threadId, title: input.title, topic: input.topic ?? '', now });
					await repo.insertMembers(trx, threadId, [{ userId: actorId, role: 'owner' }, ...ids.map((userId) => ({ userId, role: 'member' as const }))], 0, now);
					const names = await this.names(trx, [actorId, ...ids]);
					const event: SystemEvent = { type: 'created', actor: names(actorId), title: input.title, users: ids.map(names) };
					change.lines.push({ row: await this.insertLine(trx, threadId, actorId, event, now), to: [actorId, ...ids] });
				}),
			{ log: this.deps.log, what: 'create a group' }
		);
		return this.publish(change, actorId);
	}

	/** Owner and admins add friends of theirs; people already in are skipped. */
	async add(actorId: string, input: { threadId: string; userIds: string[] }): Promise<Thread> {
		await this.deps.changeLimiter.consume(actorId);
		const change = await this.change(actorId, input.threadId, async (s) => {
			if (s.actor.role === 'member') throw new AppError('forbidden', 'only the owner and admins of a group add people');
			const inside = new Set(s.members.map((m) => m.user_id));
			const ids = [...new Set(input.userIds)].filter((id) => !inside.has(id));
			if (ids.length === 0) return;
			this.onlyFriends(ids, await friendsAmong(s.trx, actorId, ids), 'userIds');
			await assertMayAddToGroup(s.trx, actorId, ids);
			const total = s.members.length + ids.length;
			if (total > this.deps.maxMembers) {
				throw invalidInput({ userIds: `would make ${total} people` }, `a group holds at most ${this.deps.maxMembers} people; this one would have ${total}`);
			}
			// They join at the line that adds them: what was said before counts as seen (history stays readable).
			await repo.insertMembers(s.trx, s.thread.id, ids.map((userId) => ({ userId, role: 'member' })), Number(s.thread.last_seq), s.now);
			const [actor, ...users] = await s.people([actorId, ...ids]);
			await s.line({ type: 'added', actor, users });
		});
		return this.publish(change, actorId);
	}

	/** The owner removes anyone else; an admin removes members. */
	async remove(actorId: string, input: { threadId: string; userId: string }): Promise<Thread> {
		await this.deps.changeLimiter.consume(actorId);
		const change = await this.change(actorId, input.threadId, async (s) => {
			if (s.actor.role === 'member') throw new AppError('forbidden', 'only the owner and admins of a group remove people');
			if (input.userId === actorId) throw invalidInput({ userId: 'is you' }, 'you cannot remove yourself; use groups:leave');
			const target = s.members.find((m) => m.user_id === input.userId);
			if (!target) throw new AppError('conflict', `user "${input.userId}" is not in this group`);
			if (s.actor.role === 'admin' && target.role !== 'member') throw new AppError('forbidden', `an admin removes members only; "${input.userId}" is the group's ${target.role}`);
			const person = await s.person(input.userId);
			await repo.deleteMember(s.trx, s.thread.id, input.userId);
			await s.line({ type: 'removed', actor: await s.person(actorId), users: [person] });
			s.change.removed = { userId: input.userId, reason: 'removed' };
		});
		return this.publish(change, actorId);
	}

	/**
	 * Anyone leaves. An owner leaving hands the group to the admin who joined first, else to the member
	 * who joined first; the last one leaving closes it.
	 */
	async leave(actorId: string, input: { threadId: string }): Promise<void> {
		const change = await this.change(actorId, input.threadId, async (s) => {
			const actor = await s.person(actorId);
			await repo.deleteMember(s.trx, s.thread.id, actorId);
			await s.line({ type: 'left', actor });
			s.change.removed = { userId: actorId, reason: 'left' };
			const rest = s.members.filter((m) => m.user_id !== actorId);
			if (rest.length === 0) return repo.updateGroup(s.trx, s.thread.id, { closed_at: s.now });
			if (s.actor.role !== 'owner') return;
			const heir = rest.find((m) => m.role === 'admin') ?? rest[0];
			await repo.setRole(s.trx, s.thread.id, heir.user_id, 'owner');
			await s.line({ type: 'role', actor, users: [await s.person(heir.user_id)], role: 'owner' });
		});
		await this.announce(change, actorId);
	}

	/** Owner and admins rename the group or set its topic; a line for each field that changed. */
	async update(actorId: string, input: { threadId: string; title?: string; topic?: string }): Promise<Thread> {
		await this.deps.changeLimiter.consume(actorId);
		const change = await this.change(actorId, input.threadId, async (s) => {
			if (s.actor.role === 'member') throw new AppError('forbidden', 'only the owner and admins of a group change its title and topic');
			const patch: { title?: string; topic?: string } = {};
			if (input.title !== undefined && input.title !== s.thread.title) patch.title = input.title;
			if (input.topic !== undefined && input.topic !== (s.thread.topic ?? '')) patch.topic = input.topic;
			await repo.updateGroup(s.trx, s.thread.id, patch);
			if (patch.title !== undefined) await s.line({ type: 'title', actor: await s.person(actorId), title: patch.title });
			if (patch.topic !== undefined) await s.line({ type: 'topic', actor: await s.person(actorId), topic: patch.topic });
		});
		return this.publish(change, actorId);
	}

	/** The owner makes someone an admin or a member, or hands ownership over (becoming an admin). */
	async role(actorId: string, input: { threadId: string; userId: string; role: GroupRole }): Promise<Thread> {
		await this.deps.changeLimiter.consume(actorId);
		const change = await this.change(actorId, input.threadId, async (s) => {
			if (s.actor.role !== 'owner') throw new AppError('forbidden', "only the group's owner changes roles");
			if (input.userId === actorId) throw invalidInput({ userId: 'is you' }, 'you cannot change your own role; hand ownership to someone else instead');
			const target = s.members.find((m) => m.user_id === input.userId);
			if (!target) throw new AppError('conflict', `user "${input.userId}" is not in this group`);
			if (target.role === input.role) return;
			await repo.setRole(s.trx, s.thread.id, input.userId, input.role);
			if (input.role === 'owner') await repo.setRole(s.trx, s.thread.id, actorId, 'admin');
			await s.line({ type: 'role', actor: await s.person(actorId), users: [await s.person(input.userId)], role: input.role });
		});
		return this.publish(change, actorId);
	}

	/** Throws unless `actorId` may set the group's picture (owner or admin): checked when its upload starts. */
	async mayChangeAvatar(actorId: string, threadId: string): Promise<void> {
		const row = await findMemberThread(this.deps.db, threadId, actorId);
		if (!row || row.kind !== 'group') throw notFound(threadId);
		if (row.role === 'member') throw new AppError('forbidden', "only the owner and admins of a group change its picture");
	}

	/** Makes `avatarId` the group's picture with an `avatar` line (files role, once the upload is done); the one it replaced. */
	async setAvatar(actorId: string, threadId: string, avatarId: string): Promise<string | null> {
		let before: string | null = null;
		const change = await this.change(actorId, threadId, async (s) => {
			if (s.actor.role === 'member') throw new AppError('forbidden', "only the owner and admins of a group change its picture");
			before = s.thread.avatar_id;
			await repo.updateGroup(s.trx, s.thread.id, { avatar_id: avatarId });
			await s.line({ type: 'avatar', actor: await s.person(actorId) });
		});
		await this.announce(change, actorId);
		return before;
	}

	/**
	 * Runs `decide` in a transaction holding the group's row lock, with its members as they are now.
	 * A private thread, no thread and a group the actor is not in are all `not_found`, alike.
	 */
	private async change(actorId: string, threadId: string, decide: (scope: Scope) => Promise<void>): Promise<Change> {
		const { db, log } = this.deps;
		return retryTransaction(
			() =>
				db.transaction().execute(async (trx) => {
					const thread = await repo.lockGroup(trx, threadId);
					if (!thread) throw notFound(threadId);
					const members = await membersOf(trx, [threadId]);
					const actor = members.find((m) => m.user_id === actorId);
					if (!actor) throw notFound(threadId);
					const now = nowIso();
					const change: Change = { threadId, lines: [] };
					const names = new Map<string, SystemPerson>();
					const written: messagesRepo.MessageRow[] = [];
					const scope: Scope = {
						trx,
						thread,
						members,
						actor,
						now,
						change,
						people: async (userIds) => {
							const missing = userIds.filter((id) => !names.has(id));
							if (missing.length > 0) {
								const named = await this.names(trx, missing);
								for (const id of missing) names.set(id, named(id));
							}
							return userIds.map((id) => names.get(id)!);
						},
						person: async (userId) => (await scope.people([userId]))[0],
						line: async (event) => {
							written.push(await this.insertLine(trx, threadId, actorId, event, now));
						}
					};
					await decide(scope);
					if (written.length > 0) {
						// Everyone in the group once the change is made gets its lines: not who was removed
						// or left, but who was added. Read under the lock: nothing else changes it meanwhile.
						const to = await memberIdsOf(trx, threadId, { locking: true });
						change.lines = written.map((row) => ({ row, to }));
					}
					return change;
				}),
			{ log, what: `change group "${threadId}"` }
		);
	}

	/** A system line under the thread's next seq: the messages' own insert, so seqs stay one sequence. */
	private insertLine(trx: Transaction<Database>, threadId: string, actorId: string, event: SystemEvent, now: string): Promise<messagesRepo.MessageRow> {
		return messagesRepo.insertNext(trx, { id: newId(), thread_id: threadId, sender_id: actorId, client_id: newId(), kind: 'system', text: JSON.stringify(event), file_id: null, created_at: now });
	}

	/** Display names for system lines, in one query. */
	private async names(trx: Transaction<Database>, userIds: string[]): Promise<(userId: string) => SystemPerson> {
		const cards = await findCards(trx, userIds);
		return (id) => ({ id, name: cards.get(id)?.display_name ?? id });
	}

	private onlyFriends(ids: string[], friends: ReadonlySet<string>, field: string): void {
		const strangers = ids.filter((id) => !friends.has(id));
		if (strangers.length === 0) return;
		const one = strangers.length === 1;
		throw invalidInput(
			{ [field]: `${one ? 'names someone who is' : 'names people who are'} not your friend${one ? '' : 's'}: ${listed(strangers)}` },
			`${listed(strangers)} ${one ? 'is not your friend' : 'are not your friends'}; a group is made of your friends`
		);
	}

	/**
	 * After commit: each system line to the members at its seq (one emit to their rooms), `thread:removed`
	 * to whoever lost access, and `thread:updated` to every member as they see it. Returns the actor's view.
	 */
	private async publish(change: Change, actorId: string): Promise<Thread> {
		// The actor's view, unless a change racing this one has taken them out meanwhile (then not_found).
		return (await this.announce(change, actorId)) ?? this.deps.threads.get(actorId, change.threadId);
	}

	private async announce(change: Change, actorId: string): Promise<Thread | undefined> {
		const { emitter, threads } = this.deps;
		for (const line of change.lines) emitter.toUsers(line.to, 'message:new', { message: toMessage(line.row) });
		if (change.removed) emitter.toUsers([change.removed.userId], 'thread:removed', { threadId: change.threadId, reason: change.removed.reason });
		if (change.lines.length === 0 && !change.removed) return threads.get(actorId, change.threadId);
		const views = await threads.viewsForMembers(change.threadId);
		for (const [userId, thread] of views) emitter.toUsers([userId], 'thread:updated', { thread });
		return views.get(actorId);
	}
}
