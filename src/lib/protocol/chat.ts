import { z } from 'zod';
import { hasControlCharacters } from './text';
import type { CallSummary } from './calls';
import type { LiveSummary } from './live';
import type { GroupRole, SystemEvent, ThreadKind } from './groups';

/**
 * The chat half of the contract (PROTOCOL.md section 2 and the extensions in docs/PROTOCOL.md): the
 * shapes the server sends, and one schema per request, used by the server to validate and by clients
 * for their types.
 */

export const CHAT_LIMITS = {
	/** Ids the server made (users, threads, requests, messages). */
	idMax: 32,
	/** A message's `clientId` (a UUID is 36 characters). */
	clientIdMax: 36,
	/** Characters (Unicode code points) of one message's text. */
	textMax: 4000,
	requestMessageMax: 200,
	searchQueryMax: 64,
	pageMax: 100,
	searchDefault: 20,
	threadsPageDefault: 30,
	messagesPageDefault: 50,
	/** The largest seq a request may name (a 32-bit signed integer column). */
	seqMax: 2_147_483_647
} as const;

export type Relationship = 'self' | 'friend' | 'incoming' | 'outgoing' | 'none';

/** A person as another person sees them. `online` only for friends and for yourself (and for the members in a group's member list). */
export interface UserCard {
	id: string;
	username: string;
	displayName: string;
	bio: string;
	/** The person's picture (extension: `avatarUrl()`), or null: show initials. */
	avatarUrl: string | null;
	online?: boolean;
	/** From the viewer's side: `incoming` = they asked you, `outgoing` = you asked them. */
	relationship: Relationship;
}

export type FriendRequestStatus = 'pending' | 'accepted' | 'declined' | 'cancelled';

export interface FriendRequest {
	id: string;
	from: UserCard;
	to: UserCard;
	message: string;
	status: FriendRequestStatus;
	createdAt: string;
}

export interface Friend {
	user: UserCard;
	online: boolean;
	/** The private thread of the two friends. */
	threadId: string;
	since: string;
}

/**
 * The file of a message of kind `file`, as it is now. Once its owner deletes it, only `{id, deleted:
 * true}` is left: the message stays in the thread, its bytes and details are gone.
 */
export type FileRef =
	| {
			id: string;
			/** The display name the uploader gave (never a path on the server). */
			name: string;
			/** Bytes. */
			size: number;
			/** MIME type sniffed from the content (`application/octet-stream` when unknown). */
			type: string;
			/** Pixels, for images. */
			width?: number;
			height?: number;
			/** True when `GET /files/{id}/thumbnail` has a small WebP preview. */
			thumbnail?: boolean;
			deleted?: undefined;
	  }
	| { id: string; deleted: true };

/** `live`: extension, the line a live stream leaves when it ends (like `call`, never unread). */
export type MessageKind = 'text' | 'file' | 'call' | 'system' | 'live';

export interface Message {
	id: string;
	threadId: string;
	/** 1, 2, 3, … inside the thread, with no gaps. */
	seq: number;
	senderId: string;
	clientId: string;
	kind: MessageKind;
	text?: string;
	file?: FileRef;
	/** Kind `call`: what happened (`text` says the same for people: "Video call, 4:12", "Missed call"). */
	call?: CallSummary;
	/** Kind `live` (extension): how long the stream ran and its most viewers (`text`: "Live, 42:10, 17 viewers at most"). */
	live?: LiveSummary;
	/**
	 * Kind `system` (groups): the change it records; `text` says the same for people ("Alice added
	 * Bob"). Its sender is who made the change.
	 */
	system?: SystemEvent;
	createdAt: string;
	// Message actions (extension, docs/PROTOCOL.md "Message actions"; requests in actions.ts):
	/** The thread's change number of this message's latest edit, delete or reaction; absent: never changed. */
	changeSeq?: number;
	/** Set once the sender edited the text (kind `text`); `text` is the newest. */
	editedAt?: string;
	/** Deleted by its sender: a tombstone that keeps its seq; no `text`, `file` or reactions. */
	deleted?: true;
	/** Reactions, each emoji once with who reacted; absent when none. */
	reactions?: Reaction[];
	/** The message this one replies to, as it was when the reply was sent. */
	replyTo?: ReplyQuote;
}

/** Who reacted with one emoji to a message, in the order they reacted. */
export interface Reaction {
	emoji: string;
	count: number;
	userIds: string[];
}

/** The message a reply quotes, as it was when the reply was sent (it outlives the original's deletion). */
export interface ReplyQuote {
	seq: number;
	senderId: string;
	/** The original's first 120 code points (a file's name, a call's line). */
	snippet: string;
}

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

const idOf = (what: string) =>
	z
		.string({ message: `${what} must be a string` })
		.min(1, { message: `${what} must not be empty` })
		.max(CHAT_LIMITS.idMax, { message: `${what} is at most ${CHAT_LIMITS.idMax} characters` });

const seq = (what: string) =>
	z
		.int({ message: `${what} must be a whole number` })
		.min(0, { message: `${what} must not be negative` })
		.max(CHAT_LIMITS.seqMax, { message: `${what} is at most ${CHAT_LIMITS.seqMax}` });

const limit = z
	.int({ message: 'limit must be a whole number' })
	.min(1, { message: 'limit is at least 1' })
	.max(CHAT_LIMITS.pageMax, { message: `limit is at most ${CHAT_LIMITS.pageMax}` });

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Counts Unicode code points, so an emoji is one character, as people count. */
export function characterCount(s: string): number {
	let n = 0;
	for (const _ of s) n++;
	return n;
}

/**
 * Message text, kept exactly as sent (no trimming, no normalising): 1 to 4,000 characters, not only
 * whitespace. NUL and broken UTF-16 are refused because no database would store them verbatim.
 */
export const messageTextSchema = z
	.string({ message: 'text must be a string' })
	.min(1, { message: 'text must not be empty' })
	// Cheap bound first (a code point is at most 2 UTF-16 units), then the exact count.
	.max(CHAT_LIMITS.textMax * 2, { message: `text is at most ${CHAT_LIMITS.textMax} characters` })
	.refine((s) => characterCount(s) <= CHAT_LIMITS.textMax, { message: `text is at most ${CHAT_LIMITS.textMax} characters` })
	.refine((s) => s.trim().length > 0, { message: 'text must not be only whitespace' })
	.refine((s) => !s.includes('\u0000'), { message: 'text must not contain NUL characters' })
	.refine((s) => !LONE_SURROGATE.test(s), { message: 'text is not well-formed Unicode' });

export const usersSearchRequest = z.strictObject({
	query: z
		.string({ message: 'query must be a string' })
		.trim()
		.min(1, { message: 'query must not be empty' })
		.max(CHAT_LIMITS.searchQueryMax, { message: `query is at most ${CHAT_LIMITS.searchQueryMax} characters` }),
	limit: limit.optional()
});

export const usersGetRequest = z.strictObject({
	userIds: z
		.array(idOf('userIds[]'), { message: 'userIds must be a list of user ids' })
		.min(1, { message: 'userIds must not be empty' })
		.max(CHAT_LIMITS.pageMax, { message: `userIds has at most ${CHAT_LIMITS.pageMax} ids` })
});

export const friendsRequestRequest = z.strictObject({
	userId: idOf('userId'),
	message: z
		.string({ message: 'message must be a string' })
		.trim()
		.max(CHAT_LIMITS.requestMessageMax, { message: `message is at most ${CHAT_LIMITS.requestMessageMax} characters` })
		.refine((s) => !hasControlCharacters(s, '\t\n'), { message: 'message must not contain control characters' })
		.optional()
});

export const friendsRespondRequest = z.strictObject({
	requestId: idOf('requestId'),
	accept: z.boolean({ message: 'accept must be true or false' })
});

export const friendsCancelRequest = z.strictObject({ requestId: idOf('requestId') });

export const emptyRequest = z.strictObject({});

export const threadsOpenRequest = z.strictObject({ userId: idOf('userId') });

export const threadsGetRequest = z.strictObject({ threadId: idOf('threadId') });

export const threadsListRequest = z.strictObject({
	cursor: z.string({ message: 'cursor must be a string' }).max(200, { message: 'cursor is not one this server made' }).optional(),
	limit: limit.optional()
});

export const messagesListRequest = z
	.strictObject({
		threadId: idOf('threadId'),
		beforeSeq: seq('beforeSeq').optional(),
		afterSeq: seq('afterSeq').optional(),
		limit: limit.optional()
	})
	.refine((r) => r.beforeSeq === undefined || r.afterSeq === undefined, {
		message: 'give beforeSeq or afterSeq, not both',
		path: ['afterSeq']
	});

export const messagesSendRequest = z
	.strictObject({
		threadId: idOf('threadId'),
		clientId: z
			.string({ message: 'clientId must be a string' })
			.min(1, { message: 'clientId must not be empty' })
			.max(CHAT_LIMITS.clientIdMax, { message: `clientId is at most ${CHAT_LIMITS.clientIdMax} characters` })
			.regex(/^[A-Za-z0-9_-]+$/, { message: 'clientId is letters, digits, dash and underscore (a UUID)' }),
		text: messageTextSchema.optional(),
		/**
		 * Extension (files): instead of `text`, a finished file of the sender's to send as a file message
		 * (docs/PROTOCOL.md, "Sending a file you have").
		 */
		fileId: idOf('fileId').optional(),
		/** Extension (message actions): the seq of the message of this thread that this one replies to. */
		replyToSeq: z
			.int({ message: 'replyToSeq must be a whole number' })
			.min(1, { message: 'replyToSeq is at least 1' })
			.max(CHAT_LIMITS.seqMax, { message: `replyToSeq is at most ${CHAT_LIMITS.seqMax}` })
			.optional()
	})
	.refine((r) => (r.text === undefined) !== (r.fileId === undefined), {
		message: 'give text or fileId, exactly one of them',
		path: ['text']
	});

export const messagesReceiptRequest = z.strictObject({
	threadId: idOf('threadId'),
	seq: seq('seq')
});

export const typingRequest = z.strictObject({ threadId: idOf('threadId') });

export type UsersSearchRequest = z.input<typeof usersSearchRequest>;
export type UsersGetRequest = z.input<typeof usersGetRequest>;
export type FriendsRequestRequest = z.input<typeof friendsRequestRequest>;
export type FriendsRespondRequest = z.input<typeof friendsRespondRequest>;
export type FriendsCancelRequest = z.input<typeof friendsCancelRequest>;
export type ThreadsOpenRequest = z.input<typeof threadsOpenRequest>;
export type ThreadsGetRequest = z.input<typeof threadsGetRequest>;
export type ThreadsListRequest = z.input<typeof threadsListRequest>;
export type MessagesListRequest = z.input<typeof messagesListRequest>;
export type MessagesSendRequest = z.input<typeof messagesSendRequest>;
export type MessagesReceiptRequest = z.input<typeof messagesReceiptRequest>;
export type TypingRequest = z.input<typeof typingRequest>;

// ---- ack data ------------------------------------------------------------------------------

export interface UsersSearchResponse {
	/** users:get: in the order asked, unknown ids left out. */
	users: UserCard[];
}
/** `friend` and `thread` only when the request met one from the other side and became a friendship. */
export interface FriendsRequestResponse {
	request: FriendRequest;
	friend?: Friend;
	thread?: Thread;
}
/** Both present when accepted; neither when declined. */
export interface FriendsRespondResponse {
	friend?: Friend;
	thread?: Thread;
}
export interface FriendsListResponse {
	friends: Friend[];
	incoming: FriendRequest[];
	outgoing: FriendRequest[];
}
export interface ThreadResponse {
	thread: Thread;
}
export interface ThreadsListResponse {
	threads: Thread[];
	/** Pass back as `cursor` for the next (older) page; null on the last page. */
	nextCursor: string | null;
}
export interface MessagesListResponse {
	/** Always in ascending seq. */
	messages: Message[];
	/** More messages exist beyond this page in the direction asked (older for beforeSeq and for none). */
	hasMore: boolean;
	/**
	 * Extension (message actions): the thread's newest change number, read before the page, so every
	 * change after it is either in the page's messages already or comes from `messages:changes`.
	 */
	lastChangeSeq: number;
}
export interface MessageResponse {
	message: Message;
}
/** `messages:readers`: the other members who have read up to the message, and those who only have it. */
export interface MessagesReadersResponse {
	readers: UserCard[];
	deliveredTo: UserCard[];
}
export type Empty = Record<string, never>;

// ---- event payloads ------------------------------------------------------------------------

export interface MessageStatusEvent {
	threadId: string;
	userId: string;
	deliveredSeq: number;
	readSeq: number;
}
export interface FriendsAddedEvent {
	friend: Friend;
	thread: Thread;
}
/** A pending request ended without a friendship (extension). */
export interface FriendsClosedEvent {
	requestId: string;
	status: 'declined' | 'cancelled';
}
export interface PresenceEvent {
	userId: string;
	online: boolean;
}
export interface TypingEvent {
	threadId: string;
	userId: string;
}
