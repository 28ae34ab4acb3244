import { z } from 'zod';
import { messageTextSchema, type Message } from './chat';
import { idOf, limit, seq } from './chat-base';

/**
 * Message actions (docs/PROTOCOL.md, "Message actions"): edit, delete for everyone, reactions, replies,
 * and the per-thread change feed (`changeSeq`) a client catches up with. Shared by server and clients.
 */

export const ACTION_LIMITS = {
	/** `EDIT_WINDOW_MINUTES`' default: a text message can be edited for 48 hours. */
	editWindowMinutesDefault: 2880,
	/** Code points of a reply's quote of the original. */
	snippetMax: 120,
	/** UTF-16 code units of one reaction (the longest emoji ZWJ sequences are about 15). */
	emojiMax: 32,
	/** Different emoji one person may put on one message. */
	reactionsPerPerson: 20,
	/** Changes one `messages:changes` page holds by default. */
	changesPageDefault: 100
} as const;

/** One earlier text of an edited message (`messages:edits`, the sender only). */
export interface MessageEdit {
	text: string;
	/** When this text was replaced. */
	editedAt: string;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const FLAG = /^\p{Regional_Indicator}{2}$/u;
const KEYCAP = /^[0-9#*]\uFE0F?\u20E3$/u;
/** Pictographs shown as text unless followed by U+FE0F: ©, ®, ™, ‼, ⁉, ℹ and arrows. */
const TEXT_BY_DEFAULT = /^[\u00A9\u00AE\u203C\u2049\u2122\u2139\u2194-\u2199\u21A9\u21AA]$/u;

/**
 * True when `s` is exactly one emoji: one grapheme cluster (Intl.Segmenter) that holds a pictograph
 * (`\p{Extended_Pictographic}`: faces, hands, ZWJ families, with skin tones and variation selectors),
 * or is a flag (two regional indicators) or a keycap (`1️⃣`). Letters, digits, punctuation, ©/®/™
 * without U+FE0F, two emoji, or text around one are not.
 */
export function isSingleEmoji(s: string): boolean {
	if (s.length === 0 || s.length > ACTION_LIMITS.emojiMax) return false;
	let graphemes = 0;
	for (const _ of segmenter.segment(s)) if (++graphemes > 1) return false;
	if (FLAG.test(s) || KEYCAP.test(s)) return true;
	return PICTOGRAPH.test(s) && !TEXT_BY_DEFAULT.test(s);
}

/** One message, by its thread and seq. */
const target = { threadId: idOf('threadId'), seq: seq('seq', 1) };

export const messagesEditRequest = z.strictObject({ ...target, text: messageTextSchema });

export const messagesDeleteRequest = z.strictObject(target);

export const messagesReactRequest = z.strictObject({
	...target,
	emoji: z
		.string({ message: 'emoji must be a string' })
		.refine(isSingleEmoji, { message: 'emoji must be exactly one emoji (such as 👍 or 🇫🇷), not text' }),
	/** True takes your reaction back; false or absent adds it. Both are idempotent. */
	remove: z.boolean({ message: 'remove must be true or false' }).optional()
});

export const messagesEditsRequest = z.strictObject(target);

export const messagesChangesRequest = z.strictObject({
	threadId: idOf('threadId'),
	afterChangeSeq: seq('afterChangeSeq', 0),
	limit: limit.optional()
});

export type MessagesEditRequest = z.input<typeof messagesEditRequest>;
export type MessagesDeleteRequest = z.input<typeof messagesDeleteRequest>;
export type MessagesReactRequest = z.input<typeof messagesReactRequest>;
export type MessagesEditsRequest = z.input<typeof messagesEditsRequest>;
export type MessagesChangesRequest = z.input<typeof messagesChangesRequest>;

export interface MessagesChangesResponse {
	/** The current state of each message that changed after `afterChangeSeq`, by ascending `changeSeq`. */
	messages: Message[];
	/** More changes follow: ask again after the last one's `changeSeq`. */
	hasMore: boolean;
	/** The thread's newest change number when the page was read. */
	lastChangeSeq: number;
}

export interface MessagesEditsResponse {
	/** Earlier texts, oldest first; the current text is the message's own. */
	edits: MessageEdit[];
}

/** `message:changed`: a message was edited, deleted or reacted to; `message` is its state now. */
export interface MessageChangedEvent {
	message: Message;
	/** What changed (for the UI; the state is all in `message`). */
	change: 'edited' | 'deleted' | 'reaction';
}

/** The first `ACTION_LIMITS.snippetMax` code points of `text`, with an ellipsis when cut. */
export function snippetOf(text: string): string {
	const points = [...text];
	return points.length <= ACTION_LIMITS.snippetMax ? text : points.slice(0, ACTION_LIMITS.snippetMax - 1).join('') + '…';
}
