import { z } from 'zod';
import type { GroupRole, ThreadKind } from './groups';
import { idOf, limit } from './chat-base';
import type { Message } from './messages';
import type { UserCard } from './people';

// Threads (PROTOCOL.md section 2): a private thread or a group as one member sees it, and listing them.

/**
 * A member of a thread as the viewer sees them: their card, and in a group their role and receipts
 * (`readSeq`, `deliveredSeq`: what they have read and received; "read by N" is counted from these).
 */
export interface MemberCard extends UserCard {
	role?: GroupRole;
	readSeq?: number;
	deliveredSeq?: number;
}

/** A thread as one member sees it: a private thread of two friends, or a group. */
export interface Thread {
	id: string;
	kind: ThreadKind;
	/** Every member (you too); in a group each with `role`, `readSeq` and `deliveredSeq`. */
	members: MemberCard[];
	/** In a private thread, the other member. */
	peer?: UserCard;
	/** Groups: the title (1 to 100 code points). */
	title?: string;
	/** Groups: the topic ('' when none). */
	topic?: string;
	/** Groups: the picture, or null: show the title's initials. */
	avatarUrl?: string | null;
	/** Groups: how many people are in it. */
	memberCount?: number;
	/** Groups: your role. */
	myRole?: GroupRole;
	/** Groups: messages above your `readSeq` that mention you (`@username`, or `@everyone` from the owner or an admin). */
	mentions?: number;
	/** The seq of the newest message; 0 when there is none. */
	lastSeq: number;
	lastMessage: Message | null;
	/** `lastSeq - readSeq`: messages of the thread you have not read (your own count as read). */
	unread: number;
	readSeq: number;
	deliveredSeq: number;
	/**
	 * The other member's receipts (private threads). In a group, the lowest of the other members':
	 * everything up to `peerReadSeq` has been read by everyone.
	 */
	peerReadSeq: number;
	peerDeliveredSeq: number;
	/** The newest message's time, or the thread's creation time; threads:list sorts by it. */
	updatedAt: string;
	/** Extension (message actions): the thread's newest change number (edits, deletes, reactions); 0 when none. This server always sends it. */
	lastChangeSeq?: number;
	/**
	 * Until when you muted the thread (no sound, desktop notification or push; its unread count shows in
	 * the list but not in the page title): an ISO time, `9999-12-31T23:59:59.999Z` for "until I unmute".
	 * Absent or null: not muted.
	 */
	mutedUntil?: string | null;
}

// ---- request schemas -------------------------------------------------------------------------

export const threadsOpenRequest = z.strictObject({ userId: idOf('userId') });

export const threadsGetRequest = z.strictObject({ threadId: idOf('threadId') });

export const threadsListRequest = z.strictObject({
	cursor: z.string({ message: 'cursor must be a string' }).max(200, { message: 'cursor is not one this server made' }).optional(),
	limit: limit.optional()
});

export type ThreadsOpenRequest = z.input<typeof threadsOpenRequest>;
export type ThreadsGetRequest = z.input<typeof threadsGetRequest>;
export type ThreadsListRequest = z.input<typeof threadsListRequest>;

// ---- ack data ------------------------------------------------------------------------------

export interface ThreadResponse {
	thread: Thread;
}
export interface ThreadsListResponse {
	threads: Thread[];
	/** Pass back as `cursor` for the next (older) page; null on the last page. */
	nextCursor: string | null;
}
