import { describe, expect, it } from 'vitest';
import { nestingProblem } from './nesting.js';

/** `{a: {a: … {a: 1}}}`, `levels` objects deep, built without recursion. */
function deep(levels: number, array = false): unknown {
	let value: unknown = 1;
	for (let i = 0; i < levels; i++) value = array ? [value] : { a: value };
	return value;
}

describe('nestingProblem', () => {
	it('passes every ordinary payload', () => {
		expect(nestingProblem({})).toBeNull();
		expect(nestingProblem(undefined)).toBeNull();
		expect(nestingProblem('text')).toBeNull();
		expect(nestingProblem({ threadId: 't', clientId: 'c', text: 'hi' })).toBeNull();
		expect(nestingProblem({ userIds: Array.from({ length: 100 }, (_, i) => `u${i}`) })).toBeNull();
		expect(nestingProblem({ data: new Uint8Array(100_000) })).toBeNull();
	});

	it('allows 32 levels, refuses 33, of objects or arrays', () => {
		expect(nestingProblem(deep(32))).toBeNull();
		expect(nestingProblem(deep(33))).toBe('is nested deeper than 32 levels');
		expect(nestingProblem(deep(32, true))).toBeNull();
		expect(nestingProblem(deep(33, true))).toBe('is nested deeper than 32 levels');
	});

	it('refuses 5,000 and 200,000 levels without overflowing the stack', () => {
		expect(() => JSON.stringify(deep(200_000))).toThrow(RangeError);
		expect(nestingProblem(deep(5_000))).toBe('is nested deeper than 32 levels');
		expect(nestingProblem(deep(200_000, true))).toBe('is nested deeper than 32 levels');
	});

	it('counts values: 10,000 in all pass, one more does not', () => {
		expect(nestingProblem({ list: Array.from({ length: 9_998 }, () => 0) })).toBeNull();
		expect(nestingProblem({ list: Array.from({ length: 9_999 }, () => 0) })).toBe('holds more than 10000 values');
		expect(nestingProblem({ a: { b: [1, 2] } }, { maxDepth: 32, maxValues: 4 })).toBe('holds more than 4 values');
	});
});
