import type { Message, Thread } from '$lib/protocol';

// What counts as unread (docs/PROTOCOL.md, Thread.unread), as the server counts it: a message from
// someone else that is not a call's or a live stream's line and not deleted. The server's count is the truth (a
// summary's `unread`); the client moves it with what arrives live, and asks again when it cannot know
// (messages missed, a read mark moved part of the way, an unread message deleted).

/** Whether a message counts as unread for `me` when it is above their read mark. */
export function countsAsUnread(message: Pick<Message, 'senderId' | 'kind' | 'deleted'>, me: string): boolean {
	return message.senderId !== me && !isRecordLine(message) && !message.deleted;
}

/** A call's or a live stream's line: a record of something that happened, written for its starter, never unread. */
export function isRecordLine(message: Pick<Message, 'kind'>): boolean {
	return message.kind === 'call' || message.kind === 'live';
}

/**
 * The unread count after a summary from the server (`summary`) meets what the client held (`known`,
 * possibly moved by live events since), given the merged `lastSeq` and `readSeq`: nothing when all is
 * read; the server's count when it has seen everything the client has; else the client's.
 */
export function mergedUnread(known: Pick<Thread, 'lastSeq' | 'readSeq' | 'unread'> | undefined, summary: Pick<Thread, 'lastSeq' | 'readSeq' | 'unread'>, merged: { lastSeq: number; readSeq: number }): number {
	if (merged.readSeq >= merged.lastSeq) return 0;
	if (!known || (summary.lastSeq >= known.lastSeq && summary.readSeq >= known.readSeq)) return Math.max(0, summary.unread);
	return Math.max(0, known.unread);
}

/**
 * `message:changed`: whether the change may have taken a message out of the unread count (someone
 * else's message above the read mark was deleted), so the count must be asked for again.
 */
export function deletionMovesUnread(message: Pick<Message, 'senderId' | 'kind' | 'deleted' | 'seq'>, thread: Pick<Thread, 'lastSeq' | 'readSeq' | 'unread'>, me: string): boolean {
	return !!message.deleted && thread.unread > 0 && message.seq > thread.readSeq && message.seq <= thread.lastSeq && message.senderId !== me && !isRecordLine(message);
}
