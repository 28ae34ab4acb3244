import { describe, expect, it } from 'vitest';
import { snippetParts } from './highlight';

describe('snippetParts', () => {
	it('cuts the snippet at the ranges', () => {
		expect(snippetParts('meet at the café', [[0, 4], [12, 16]])).toEqual([
			{ text: 'meet', hit: true },
			{ text: ' at the ', hit: false },
			{ text: 'café', hit: true }
		]);
	});
	it('keeps every character whatever the ranges', () => {
		for (const ranges of [[], [[-5, 2]], [[3, 99]], [[4, 2]], [[1, 3], [2, 5]], [[5, 6], [0, 1]]] as Array<Array<[number, number]>>) {
			expect(snippetParts('<b>x</b>', ranges).map((p) => p.text).join('')).toBe('<b>x</b>');
		}
	});
});
