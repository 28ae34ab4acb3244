// Relevance, the same on every database: BM25 (k1 1.2, b 0.75) over the window of matches the index
// handed back (search.repository.ts), each query word weighing the same. Every message of the window
// holds every word, so the words' rarity (BM25's IDF) is the same for all of them and is left out;
// what orders them is how often the words begin a word of the message, against its length.

const K1 = 1.2;
const B = 0.75;

export interface Rankable {
	id: string;
	text: string;
	created_at: string;
}

/** Lower case, without accents (é → e), as `snippet.ts` matches. */
export function fold(s: string): string {
	return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The words of `text`, folded. */
function wordsOf(text: string): string[] {
	return fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * `rows` most relevant first, equally relevant newest first (`created_at`, then `id`, descending), so
 * one window always gives the same order and pages cut from it never repeat or skip a row.
 */
export function rankWindow<T extends Rankable>(rows: T[], terms: string[]): T[] {
	if (rows.length === 0) return [];
	const folded = terms.map(fold).filter((t) => t.length > 0);
	const words = rows.map((r) => wordsOf(r.text));
	const average = Math.max(1, words.reduce((sum, w) => sum + w.length, 0) / rows.length);
	const scored = rows.map((row, i) => {
		const length = words[i].length;
		let score = 0;
		for (const term of folded) {
			let tf = 0;
			for (const w of words[i]) if (w.startsWith(term)) tf++;
			score += (tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length) / average));
		}
		return { row, score };
	});
	scored.sort((a, b) => b.score - a.score || compareDesc(a.row.created_at, b.row.created_at) || compareDesc(a.row.id, b.row.id));
	return scored.map((s) => s.row);
}

function compareDesc(a: string, b: string): number {
	return a < b ? 1 : a > b ? -1 : 0;
}
