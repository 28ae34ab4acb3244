import { describe, expect, it } from 'vitest';
import { newId, nowIso } from './ids.js';

describe('newId', () => {
	it('is 20 characters of lower-case Crockford base32', () => {
		for (let i = 0; i < 100; i++) expect(newId()).toMatch(/^[0-9a-hjkmnp-tv-z]{20}$/);
	});

	it('sorts by creation time, as a plain string', () => {
		const times = [0, 1, 31, 32, 1_000, Date.UTC(2020, 0, 1), Date.UTC(2026, 10, 26), Date.UTC(2100, 0, 1)];
		const ids = times.map((t) => newId(t));
		expect([...ids].sort()).toEqual(ids);
	});

	it('encodes the time in its first 10 characters', () => {
		const t = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
		expect(newId(t).slice(0, 10)).toBe(newId(t).slice(0, 10));
		expect(newId(t).slice(0, 10)).not.toBe(newId(t + 1).slice(0, 10));
		expect(newId(0).slice(0, 10)).toBe('0000000000');
		expect(newId(33).slice(0, 10)).toBe('0000000011');
	});

	it('does not repeat within one millisecond', () => {
		const t = Date.now();
		const ids = new Set(Array.from({ length: 10_000 }, () => newId(t)));
		expect(ids.size).toBe(10_000);
	});
});

describe('nowIso', () => {
	it('is ISO 8601 UTC with milliseconds, always 24 characters', () => {
		expect(nowIso()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
		expect(nowIso()).toHaveLength(24);
	});

	it('adds the offset', () => {
		const later = Date.parse(nowIso(60_000));
		expect(later - Date.now()).toBeGreaterThan(50_000);
	});

	it('compares as a string in time order (the database compares it so)', () => {
		expect(nowIso(-1) < nowIso(1_000)).toBe(true);
	});
});
