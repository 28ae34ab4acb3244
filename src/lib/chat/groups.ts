import type { GroupRole, MemberCard, Message, MessageStatusEvent, Thread, UserCard } from '$lib/protocol';

/**
 * The rules the group UI follows (docs/PROTOCOL.md, "Groups"): who may do what, receipts per member,
 * "read by N", and mentions. Pure functions of their input, so they can be tested without a socket.
 */

export const isGroup = (thread: Pick<Thread, 'kind'> | undefined): boolean => thread?.kind === 'group';

/** Owners and admins add people and edit the title and topic. */
export function canManage(role: GroupRole | undefined): boolean {
	return role === 'owner' || role === 'admin';
}

/** The owner removes anyone; an admin removes members only; a member removes no one. */
export function canRemove(myRole: GroupRole | undefined, theirRole: GroupRole | undefined): boolean {
	if (myRole === 'owner') return theirRole !== 'owner';
	if (myRole === 'admin') return theirRole === 'member' || theirRole === undefined;
	return false;
}

/** Only the owner changes roles (and hands ownership over). */
export function canChangeRoles(myRole: GroupRole | undefined): boolean {
	return myRole === 'owner';
}

/** The lowest `readSeq` and `deliveredSeq` of the members other than `me`: what everyone has. */
export function lowestOfOthers(members: readonly MemberCard[], me: string): { readSeq: number; deliveredSeq: number } | null {
	const others = members.filter((m) => m.id !== me);
	if (others.length === 0) return null;
	let readSeq = Infinity;
	let deliveredSeq = Infinity;
	for (const m of others) {
		readSeq = Math.min(readSeq, m.readSeq ?? 0);
		deliveredSeq = Math.min(deliveredSeq, Math.max(m.deliveredSeq ?? 0, m.readSeq ?? 0));
	}
	return { readSeq, deliveredSeq };
}

/**
 * `message:status` of another member of a group: moves that member's receipts (never backwards) and,
 * when the client holds every member, the thread's lowest-of-the-others receipts that the ticks use.
 * Mutates `thread` (a reactive proxy in the store).
 */
export function applyGroupStatus(thread: Thread, e: MessageStatusEvent, me: string): void {
	const i = thread.members.findIndex((m) => m.id === e.userId);
	if (i >= 0) {
		const m = thread.members[i];
		const readSeq = Math.max(m.readSeq ?? 0, e.readSeq ?? 0);
		const deliveredSeq = Math.max(m.deliveredSeq ?? 0, e.deliveredSeq ?? 0, readSeq);
		if (readSeq !== m.readSeq || deliveredSeq !== m.deliveredSeq) thread.members[i] = { ...m, readSeq, deliveredSeq };
	}
	// With part of a big group only, the lowest cannot be known here: keep the server's.
	if (thread.memberCount !== undefined && thread.members.length < thread.memberCount) return;
	const lowest = lowestOfOthers(thread.members, me);
	if (!lowest) return;
	thread.peerReadSeq = Math.max(thread.peerReadSeq, lowest.readSeq);
	thread.peerDeliveredSeq = Math.max(thread.peerDeliveredSeq, lowest.deliveredSeq, thread.peerReadSeq);
}

/** How many members other than the sender (`me`) have read up to `seq`. */
export function readByCount(members: readonly MemberCard[], seq: number, me: string): number {
	let n = 0;
	for (const m of members) if (m.id !== me && (m.readSeq ?? 0) >= seq) n++;
	return n;
}

/**
 * Where "Read by N" goes: the newest of `me`'s own messages (not system lines) that another member has
 * read, and how many have. Receipts only grow, so that is the newest one at or below the highest
 * `readSeq` of the others. `messages` ascending by seq.
 */
export function lastReadOwn(messages: readonly Message[], members: readonly MemberCard[], me: string): { seq: number; count: number } | null {
	let top = 0;
	for (const m of members) if (m.id !== me) top = Math.max(top, m.readSeq ?? 0);
	for (let i = messages.length - 1; i >= 0; i--) {
		const m = messages[i];
		if (m.senderId === me && m.kind !== 'system' && m.seq <= top) return { seq: m.seq, count: readByCount(members, m.seq, me) };
	}
	return null;
}

/** The name a thread goes by: a group's title, else the other member's display name. */
export function threadName(thread: Pick<Thread, 'kind' | 'title'> | undefined, peer: UserCard | undefined): string {
	if (thread?.kind === 'group') return thread.title || 'Group';
	return peer?.displayName ?? 'Chat';
}

const ROLE_ORDER: Record<GroupRole, number> = { owner: 0, admin: 1, member: 2 };

/** Members as the panel lists them: you first, then the owner, the admins and the rest, by name. */
export function sortMembers(members: readonly MemberCard[], me: string): MemberCard[] {
	return [...members].sort((a, b) => {
		if (a.id === me || b.id === me) return a.id === me ? -1 : 1;
		const r = ROLE_ORDER[a.role ?? 'member'] - ROLE_ORDER[b.role ?? 'member'];
		return r !== 0 ? r : a.displayName.localeCompare(b.displayName);
	});
}

// ---- mentions ---------------------------------------------------------------------------------
// The parser is the protocol's (src/lib/protocol/mentions.ts), shared with the server's records.

import { mentions } from '$lib/protocol';
export { mentionAt, mentions } from '$lib/protocol';

/** The names system lines gave people (the actor and the people named), for those no longer in the group. */
export function namesFromSystemLines(messages: readonly Message[]): Map<string, string> {
	const names = new Map<string, string>();
	for (const m of messages) {
		if (!m.system) continue;
		names.set(m.system.actor.id, m.system.actor.name);
		if ('users' in m.system) for (const u of m.system.users) names.set(u.id, u.name);
	}
	return names;
}

/**
 * Whether a group's message mentions the user, as the server counts it (`Thread.mentions`): a text
 * message of someone else naming their username, or `@everyone` from an owner or admin.
 */
export function mentionsUser(thread: Pick<Thread, 'kind' | 'members'>, message: Pick<Message, 'kind' | 'senderId' | 'text'>, me: string, username: string): boolean {
	if (thread.kind !== 'group' || message.kind !== 'text' || message.senderId === me || !message.text) return false;
	const role = thread.members.find((m) => m.id === message.senderId)?.role;
	return mentions(message.text, username, canManage(role));
}

/** Members whose username or display name starts with `query` (ignoring case), `me` left out; at most `limit`. */
export function mentionCandidates(members: readonly MemberCard[], query: string, me: string, limit = 6): MemberCard[] {
	const q = query.toLowerCase();
	return members
		.filter((m) => m.id !== me && (m.username.toLowerCase().startsWith(q) || m.displayName.toLowerCase().split(/\s+/).some((w) => w.startsWith(q))))
		.slice(0, limit);
}
