import { z } from 'zod';
import type { UserCard } from './chat';
import type { ThreadKind } from './groups';

/**
 * Full-text search over the messages of the asker's own threads (docs/PROTOCOL.md, "Search"):
 * `messages:search`. The query is words, never a query language: `searchTerms` keeps runs of letters
 * and digits, and everything else (quotes, `*`, `-`, parentheses, `NEAR`, `AND`) is a separator or a
 * plain word. Every word must occur, as the beginning of a word of the message.
 */

export const SEARCH_LIMITS = {
	/** Characters of a query. */
	queryMax: 200,
	/** Words of a query. */
	termsMax: 10,
	/** Hits per page. */
	pageMax: 50,
	pageDefault: 20,
	/** How deep the pages go: beyond this many hits, refine the query. */
	offsetMax: 1000,
	/** About this many characters of a message around its first hit, in `snippet`. */
	snippetChars: 160
} as const;

/** The words of a query: runs of letters and digits, lower-cased, without repeats, in order. */
export function searchTerms(query: string): string[] {
	const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
	return [...new Set(words)];
}

export const messagesSearchRequest = z.strictObject({
	query: z
		.string({ message: 'query must be a string' })
		.trim()
		.min(1, { message: 'query must not be empty' })
		.max(SEARCH_LIMITS.queryMax, { message: `query is at most ${SEARCH_LIMITS.queryMax} characters` })
		.refine((s) => searchTerms(s).length > 0, { message: 'query must contain a word (letters or digits)' })
		.refine((s) => searchTerms(s).length <= SEARCH_LIMITS.termsMax, { message: `query has at most ${SEARCH_LIMITS.termsMax} words` }),
	threadId: z
		.string({ message: 'threadId must be a string' })
		.min(1, { message: 'threadId must not be empty' })
		.max(32, { message: 'threadId is at most 32 characters' })
		.optional(),
	limit: z
		.int({ message: 'limit must be a whole number' })
		.min(1, { message: 'limit is at least 1' })
		.max(SEARCH_LIMITS.pageMax, { message: `limit is at most ${SEARCH_LIMITS.pageMax}` })
		.optional(),
	cursor: z
		.string({ message: 'cursor must be a string' })
		.regex(/^\d{1,4}$/, { message: 'cursor is not one this server made' })
		.refine((s) => Number(s) <= SEARCH_LIMITS.offsetMax, { message: 'cursor is not one this server made' })
		.optional()
});

export type MessagesSearchRequest = z.input<typeof messagesSearchRequest>;

/** One message that matches. */
export interface SearchHit {
	messageId: string;
	threadId: string;
	seq: number;
	/** The thread as a list shows it: a group's title, or the other person's display name. */
	thread: { kind: ThreadKind; title: string };
	sender: UserCard;
	sentAt: string;
	/** Plain text: the message, or about `snippetChars` of it around the first hit (`…` where cut). */
	snippet: string;
	/** `[start, end)` of each hit in `snippet`, in UTF-16 code units (JavaScript string indices), ascending. */
	ranges: Array<[number, number]>;
}

export interface MessagesSearchResponse {
	/** Most relevant first; equally relevant, newest first. */
	hits: SearchHit[];
	/** Pass back as `cursor` for the next page; null on the last. */
	next: string | null;
}
