import { SEARCH_LIMITS } from '../../../src/lib/protocol/index.js';

export type Range = [number, number];

/** One character folded for matching: lower case, without its accents (é → e). */
function fold(s: string): string {
	return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Where the query's words begin words of `text`: `[start, end)` in UTF-16 units, ascending, case and
 * accents ignored. The database decided that the message matches; this only finds what to mark, so a
 * word it matched differently (MariaDB's LIKE for short words) may leave no range.
 */
export function matchRanges(text: string, terms: string[]): Range[] {
	const folded = terms.map(fold).filter((t) => t.length > 0);
	const ranges: Range[] = [];
	for (const word of text.matchAll(/[\p{L}\p{N}]+/gu)) {
		let best = -1;
		let sofar = '';
		let offset = word.index;
		for (const ch of word[0]) {
			sofar += fold(ch);
			offset += ch.length;
			if (folded.some((t) => sofar.length >= t.length && sofar.startsWith(t) && sofar.length - fold(ch).length < t.length)) best = offset;
		}
		if (best > word.index) ranges.push([word.index, best]);
	}
	return ranges;
}

/**
 * The message cut to about `maxChars` around its first hit, as plain text (never HTML: the client
 * marks the ranges itself), with `…` where it was cut and the ranges moved into it.
 */
export function snippetOf(text: string, terms: string[], maxChars: number = SEARCH_LIMITS.snippetChars): { snippet: string; ranges: Range[] } {
	const ranges = matchRanges(text, terms);
	if (text.length <= maxChars) return { snippet: text, ranges };
	const first = ranges[0]?.[0] ?? 0;
	// Some context before the hit, started at a word where there is one near.
	let start = Math.max(0, first - Math.floor(maxChars / 4));
	if (start > 0) {
		const space = text.lastIndexOf(' ', start + 10);
		if (space >= start - 10 && space < first) start = space + 1;
	}
	let end = Math.min(text.length, start + maxChars);
	if (end === text.length) start = Math.max(0, end - maxChars);
	if (isLowSurrogate(text, start)) start++;
	if (isLowSurrogate(text, end)) end--;
	const before = start > 0 ? '…' : '';
	const snippet = before + text.slice(start, end) + (end < text.length ? '…' : '');
	const shift = before.length - start;
	const inside = ranges
		.filter(([s, e]) => s >= start && e <= end)
		.map(([s, e]): Range => [s + shift, e + shift]);
	return { snippet, ranges: inside };
}

function isLowSurrogate(s: string, i: number): boolean {
	const c = s.charCodeAt(i);
	return c >= 0xdc00 && c <= 0xdfff;
}
