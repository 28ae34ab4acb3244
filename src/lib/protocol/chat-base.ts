import { z } from 'zod';

// What the chat's protocol files share (src/lib/protocol/chat.ts re-exports the public part): the
// limits, the field schemas each request is made of, and message text.

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


/**
 * An id field named `what` in the messages: 1 to `max` characters (default `CHAT_LIMITS.idMax`).
 * The one id schema of every protocol file.
 */
export const idOf = (what: string, max: number = CHAT_LIMITS.idMax) =>
	z
		.string({ message: `${what} must be a string` })
		.min(1, { message: `${what} must not be empty` })
		.max(max, { message: `${what} is at most ${max} characters` });

/**
 * Longest id of the calls' and live streams' requests: theirs and mediasoup's (UUIDs, 36
 * characters) with room to spare; a thread id there is checked against it too.
 */
export const MEDIA_ID_MAX = 64;

/** A media request's id field (`idOf` up to `MEDIA_ID_MAX`). */
export const mediaIdOf = (what: string) => idOf(what, MEDIA_ID_MAX);

/** A seq field named `what`: a whole number from `min` (default 0) to `CHAT_LIMITS.seqMax`. */
export const seq = (what: string, min = 0) =>
	z
		.int({ message: `${what} must be a whole number` })
		.min(min, { message: min === 0 ? `${what} must not be negative` : `${what} is at least ${min}` })
		.max(CHAT_LIMITS.seqMax, { message: `${what} is at most ${CHAT_LIMITS.seqMax}` });

export const limit = z
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

export const emptyRequest = z.strictObject({});

export type Empty = Record<string, never>;
