// A query's words turned into each dialect's full-text syntax. The words come from `searchTerms`
// (runs of letters and digits), so none holds an operator, a quote or a space; each is still quoted
// where the syntax has quotes, so that a word like NEAR, AND or OR is a word and never an operator.
import { fold } from './rank.js';

/** PostgreSQL `to_tsquery('simple', …)`: every word as a quoted prefix, all required. */
export function postgresQuery(terms: string[]): string {
	return terms.map((t) => `'${t}':*`).join(' & ');
}

/** PostgreSQL tsquery text (cast with `::tsquery`, not parsed again) for "in one of these threads": `'#id' | …`. */
export function postgresThreads(threadIds: string[]): string {
	return threadIds.map((id) => `'#${id.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`).join(' | ');
}

/**
 * SQLite FTS5 MATCH: every word as a quoted string with a prefix star, all required, in the `text`
 * column; and, when `threadIds` is given, in one of those threads (the `thread_id` column, each id a
 * quoted string: FTS5 doubles a quote inside one).
 */
export function sqliteQuery(terms: string[], threadIds?: string[]): string {
	const words = `{text} : (${terms.map((t) => `"${t}"*`).join(' AND ')})`;
	if (threadIds === undefined) return words;
	return `${words} AND {thread_id} : (${threadIds.map((id) => `"${id.replaceAll('"', '""')}"`).join(' OR ')})`;
}

/**
 * MariaDB/MySQL boolean mode: every word long enough to be in the index, required, as a prefix
 * (`+word*`), and one of `threadIds` (the index holds `thread_id` too, migration 0011); and the
 * shorter words, which InnoDB never indexed, to be matched with LIKE instead. `indexed` is empty when
 * every word is short.
 */
export function mysqlQuery(terms: string[], minTokenSize: number, threadIds: string[]): { indexed: string; short: string[] } {
	const long = terms.filter((t) => [...t].length >= minTokenSize);
	// Thread ids are the server's own (Crockford base32); anything else is left out rather than quoted.
	const threads = threadIds.filter((id) => /^[0-9a-z]+$/i.test(id));
	const indexed = long.length === 0 ? '' : `${long.map((t) => `+${t}*`).join(' ')} +(${threads.join(' ')})`;
	return { indexed, short: terms.filter((t) => [...t].length < minTokenSize) };
}

/** A LIKE pattern that finds `term` anywhere, with LIKE's own characters escaped (escape `\`). */
export function likeAnywhere(term: string): string {
	return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Whether every word at least `minTokenSize` long begins a word of `text` as InnoDB's FULLTEXT parser
 * cuts them (runs of letters, digits and `_`), compared without case or accents: what `+word*` asks
 * the index. The LIKE scan (search.repository.ts) checks its rows with it so that it finds what the
 * index would; shorter words are matched anywhere by LIKE alone on both paths.
 */
export function mysqlWordsBegin(text: string, terms: string[], minTokenSize: number): boolean {
	const folded = fold(text);
	return terms.every((t) => [...t].length < minTokenSize || new RegExp(`(?:^|[^\\p{L}\\p{N}_])${fold(t)}`, 'u').test(folded));
}
