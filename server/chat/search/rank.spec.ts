import { describe, expect, it } from 'vitest';
import { rankWindow } from './rank.js';

const row = (id: string, text: string, created_at = '2026-12-07T00:00:00.000Z') => ({ id, text, created_at });

describe('rankWindow', () => {
	it('puts more hits first, a shorter message before a longer one with as many, and ties newest first', () => {
		const rows = [
			row('a', 'cafe once in a rather long message about nothing much', '2026-12-07T00:00:01.000Z'),
			row('b', 'cafe cafe twice', '2026-12-07T00:00:02.000Z'),
			row('c', 'cafe short', '2026-12-07T00:00:03.000Z'),
			row('d', 'cafe short', '2026-12-07T00:00:04.000Z'),
			row('e', 'cafe short', '2026-12-07T00:00:04.000Z')
		];
		expect(rankWindow(rows, ['cafe']).map((r) => r.id)).toEqual(['b', 'e', 'd', 'c', 'a']);
	});

	it('counts a word as a hit where a query word begins it, ignoring case and accents', () => {
		const rows = [row('a', 'decaf and more decaf'), row('b', 'Café cafeteria')];
		expect(rankWindow(rows, ['cafe']).map((r) => r.id)).toEqual(['b', 'a']);
	});

	it('sums over the query words, each weighing the same', () => {
		const rows = [row('c', 'red blue and other words'), row('b', 'red blue'), row('a', 'red blue blue')];
		expect(rankWindow(rows, ['red', 'blue']).map((r) => r.id)).toEqual(['a', 'b', 'c']);
		expect(rankWindow([], ['red'])).toEqual([]);
	});
});
