import { avatarUrl, type GroupRole, type MemberCard, type Message, type Thread, type UserCard } from '../../../src/lib/protocol/index.js';
import type { MemberRow } from './threads.repository.js';
import type { ThreadsTable } from './threads.table.js';

// A thread as one member sees it, from rows already read: no queries here, so the same rows can make
// every member's view of a group (`thread:updated`) as cheaply as one.

const ROLE_ORDER: Record<GroupRole, number> = { owner: 0, admin: 1, member: 2 };

export interface ThreadViewInput {
	thread: ThreadsTable;
	viewerId: string;
	/** The thread's members (the viewer among them), earliest joined first. */
	members: MemberRow[];
	/** Cards as the viewer sees them, by user id. */
	cards: ReadonlyMap<string, UserCard>;
	lastMessage: Message | null;
	/** The viewer's unread messages (`unread.repository.ts`: from others, no call lines, no tombstones). */
	unread: number;
	/** Groups: the viewer's unread mentions. */
	mentions?: number;
	/** Groups: which members are online (everyone in a group sees everyone's). */
	online?: ReadonlySet<string>;
	/** The viewer's receipts, when read with the thread (else taken from `members`). */
	receipts?: { read_seq: number; delivered_seq: number; muted_until?: string | null };
}

export function toThread(input: ThreadViewInput): Thread {
	const { thread: row, viewerId, members, cards } = input;
	const me = members.find((m) => m.user_id === viewerId);
	const receipts = input.receipts ?? me ?? { read_seq: 0, delivered_seq: 0 };
	const peers = lowestOfOthers(members, viewerId);
	const lastSeq = Number(row.last_seq);
	const readSeq = Number(receipts.read_seq);
	const thread: Thread = {
		id: row.id,
		kind: row.kind,
		members: [],
		lastSeq,
		lastMessage: input.lastMessage,
		unread: input.unread,
		readSeq,
		deliveredSeq: Number(receipts.delivered_seq),
		// A private thread: the peer's. A group: the lowest of the others' (what everyone has).
		peerReadSeq: peers.read,
		peerDeliveredSeq: peers.delivered,
		updatedAt: row.updated_at,
		lastChangeSeq: Number(row.last_change_seq ?? 0)
	};
	const mutedUntil = input.receipts?.muted_until ?? me?.muted_until ?? null;
	if (mutedUntil) thread.mutedUntil = mutedUntil;
	if (row.kind !== 'group') {
		thread.members = members.map((m) => cards.get(m.user_id)).filter((c): c is UserCard => c !== undefined);
		const other = members.find((m) => m.user_id !== viewerId);
		const peer = other ? cards.get(other.user_id) : undefined;
		if (peer) thread.peer = peer;
		return thread;
	}
	// Built field by field: this runs for every member of a group for each of them (`thread:updated`),
	// and object spread (lowered to a helper by the TypeScript build) made 256 views take half a second.
	for (const m of byRole(members)) {
		const card = cards.get(m.user_id);
		if (!card) continue;
		const member: MemberCard = {
			id: card.id,
			username: card.username,
			displayName: card.displayName,
			bio: card.bio,
			avatarUrl: card.avatarUrl,
			relationship: card.relationship,
			role: m.role,
			readSeq: Number(m.read_seq),
			deliveredSeq: Number(m.delivered_seq)
		};
		const online = input.online ? input.online.has(m.user_id) : card.online;
		if (online !== undefined) member.online = online;
		thread.members.push(member);
	}
	thread.title = row.title ?? '';
	thread.topic = row.topic ?? '';
	thread.avatarUrl = row.avatar_id ? avatarUrl(row.avatar_id) : null;
	thread.memberCount = members.length;
	if (me) thread.myRole = me.role;
	thread.mentions = input.mentions ?? 0;
	return thread;
}

/** The lowest receipts among the members other than the viewer; 0 when there is no one else. */
function lowestOfOthers(members: MemberRow[], viewerId: string): { read: number; delivered: number } {
	let read = Infinity;
	let delivered = Infinity;
	for (const m of members) {
		if (m.user_id === viewerId) continue;
		read = Math.min(read, Number(m.read_seq));
		delivered = Math.min(delivered, Number(m.delivered_seq));
	}
	return read === Infinity ? { read: 0, delivered: 0 } : { read, delivered };
}

const sorted = new WeakMap<MemberRow[], MemberRow[]>();

/** Owner, admins, members, each in the order they joined (the rows come in that order); once per list. */
function byRole(members: MemberRow[]): MemberRow[] {
	let out = sorted.get(members);
	if (!out) sorted.set(members, (out = [...members].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role])));
	return out;
}
