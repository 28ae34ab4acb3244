import { z } from 'zod';
import type { CallSummary } from './calls';
import type { LiveSummary } from './live';
import type { SystemEvent } from './groups';
import { CHAT_LIMITS, idOf, limit, messageTextSchema, seq } from './chat-base';
import type { UserCard } from './people';

// Messages (PROTOCOL.md section 2): what a message is, paging a thread's history, sending,
// receipts and typing. Editing, deleting and reacting are in actions.ts.

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

// ---- request schemas -------------------------------------------------------------------------

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

export type MessagesListRequest = z.input<typeof messagesListRequest>;
export type MessagesSendRequest = z.input<typeof messagesSendRequest>;
export type MessagesReceiptRequest = z.input<typeof messagesReceiptRequest>;
export type TypingRequest = z.input<typeof typingRequest>;

// ---- ack data and events -------------------------------------------------------------------

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
export interface MessageStatusEvent {
	threadId: string;
	userId: string;
	deliveredSeq: number;
	readSeq: number;
}
export interface TypingEvent {
	threadId: string;
	userId: string;
}
