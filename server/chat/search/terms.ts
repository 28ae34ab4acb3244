// A query's words turned into each dialect's full-text syntax. The words come from `searchTerms`
// (runs of letters and digits), so none holds an operator, a quote or a space; each is still quoted
// where the syntax has quotes, so that a word like NEAR, AND or OR is a word and never an operator.

/** PostgreSQL `to_tsquery('simple', …)`: every word as a quoted prefix, all required. */
export function postgresQuery(terms: string[]): string {
	return terms.map((t) => `'${t}':*`).join(' & ');
}

/** SQLite FTS5 MATCH: every word as a quoted string with a prefix star; FTS5 ANDs them. */
export function sqliteQuery(terms: string[]): string {
	return terms.map((t) => `"${t}"*`).join(' ');
}

/**
 * MariaDB/MySQL boolean mode: every word long enough to be in the index, required, as a prefix
 * (`+word*`), and the shorter ones, which InnoDB never indexed, to be matched with LIKE instead.
 * `indexed` is empty when every word is short.
 */
export function mysqlQuery(terms: string[], minTokenSize: number): { indexed: string; short: string[] } {
	const long = terms.filter((t) => [...t].length >= minTokenSize);
	return { indexed: long.map((t) => `+${t}*`).join(' '), short: terms.filter((t) => [...t].length < minTokenSize) };
}

/** A LIKE pattern that finds `term` anywhere, with LIKE's own characters escaped (escape `\`). */
export function likeAnywhere(term: string): string {
	return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
