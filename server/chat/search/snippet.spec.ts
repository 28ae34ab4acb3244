import { describe, expect, it } from 'vitest';
import { matchRanges, snippetOf } from './snippet.js';
import { likeAnywhere, mysqlQuery, postgresQuery, postgresThreads, sqliteQuery } from './terms.js';

const marks = (s: { snippet: string; ranges: Array<[number, number]> }) => s.ranges.map(([a, b]) => s.snippet.slice(a, b));

describe('matchRanges', () => {
	it('marks the beginnings of words, ignoring case and accents, not the middles', () => {
		const text = 'Café CAFETERIA, decaf; cafés';
		expect(matchRanges(text, ['cafe']).map(([a, b]) => text.slice(a, b))).toEqual(['Café', 'CAFE', 'café']);
		expect(matchRanges(text, ['decaf', 'caf']).map(([a, b]) => text.slice(a, b))).toEqual(['Caf', 'CAF', 'decaf', 'caf']);
		expect(matchRanges('nothing here', ['cafe'])).toEqual([]);
	});
	it('takes the longest of several words that match at one place', () => {
		const text = 'banana';
		expect(matchRanges(text, ['ban', 'banan'])).toEqual([[0, 5]]);
	});
});

describe('snippetOf', () => {
	it('keeps a short text whole', () => {
		expect(snippetOf('hello world', ['wor'])).toEqual({ snippet: 'hello world', ranges: [[6, 9]] });
	});
	it('cuts a long text around the first hit, with … and moved ranges', () => {
		const text = `${'lorem ipsum '.repeat(40)}the needle is here ${'dolor sit '.repeat(40)}`;
		const s = snippetOf(text, ['needle'], 80);
		expect(s.snippet.startsWith('…')).toBe(true);
		expect(s.snippet.endsWith('…')).toBe(true);
		expect(s.snippet.length).toBeLessThanOrEqual(82);
		expect(marks(s)).toEqual(['needle']);
	});
	it('never splits a surrogate pair', () => {
		const text = `${'😀'.repeat(100)} target ${'😀'.repeat(100)}`;
		const s = snippetOf(text, ['target'], 61);
		expect(s.snippet.isWellFormed()).toBe(true);
		expect(marks(s)).toEqual(['target']);
	});
});

describe('dialect queries', () => {
	it('quotes every word and makes each a required prefix', () => {
		expect(postgresQuery(['near', 'and'])).toBe(`'near':* & 'and':*`);
		expect(postgresThreads(['t1', "a'b"])).toBe(`'#t1' | '#a''b'`);
		expect(sqliteQuery(['near', 'or'])).toBe(`{text} : ("near"* AND "or"*)`);
		expect(sqliteQuery(['near'], ['t1', 'a"b'])).toBe(`{text} : ("near"*) AND {thread_id} : ("t1" OR "a""b")`);
		expect(mysqlQuery(['near', 'ok', 'the'], 3, ['t1', 't2', 'a"b'])).toEqual({ indexed: '+near* +the* +(t1 t2)', short: ['ok'] });
		expect(mysqlQuery(['ok'], 3, ['t1'])).toEqual({ indexed: '', short: ['ok'] });
		expect(likeAnywhere('a%_\\')).toBe('%a\\%\\_\\\\%');
	});
});
