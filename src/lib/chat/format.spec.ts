import { describe, expect, it } from 'vitest';
import { dayKey, dayLabel, daysBetween, hueOf, initials, plural, preview, shortTime } from './format';

describe('initials', () => {
	it('takes the first letters of the first two words, upper-cased', () => {
		expect(initials('ada lovelace byron')).toBe('AL');
		expect(initials('  Grace  ')).toBe('G');
		expect(initials('')).toBe('?');
		expect(initials('', 'b')).toBe('b');
	});
	it('keeps an emoji or astral letter whole', () => {
		expect(initials('🦊 fox')).toBe('🦊F');
	});
});

describe('hueOf', () => {
	it('is stable and within the circle', () => {
		expect(hueOf('abc')).toBe(hueOf('abc'));
		for (const id of ['a', 'b', 'user_1', 'user_2', '']) {
			expect(hueOf(id)).toBeGreaterThanOrEqual(0);
			expect(hueOf(id)).toBeLessThan(360);
		}
		expect(hueOf('user_1')).not.toBe(hueOf('user_2'));
	});
});

describe('days', () => {
	const now = new Date(2024, 2, 9, 10, 0);
	it('counts calendar days, not 24-hour spans', () => {
		expect(daysBetween(new Date(2024, 2, 9, 0, 1), now)).toBe(0);
		expect(daysBetween(new Date(2024, 2, 8, 23, 59), now)).toBe(1);
		expect(daysBetween(new Date(2024, 1, 28), now)).toBe(10);
	});
	it('labels today, yesterday, then the date (with the year only when it differs)', () => {
		expect(dayLabel(new Date(2024, 2, 9, 8), now, 'en-GB')).toBe('Today');
		expect(dayLabel(new Date(2024, 2, 8, 8), now, 'en-GB')).toBe('Yesterday');
		// The exact punctuation is the locale data's; the parts are ours.
		expect(dayLabel(new Date(2024, 2, 5), now, 'en-GB')).toMatch(/^Tuesday,? 5 March$/);
		expect(dayLabel(new Date(2023, 11, 31), now, 'en-GB')).toMatch(/^Sunday,? 31 December 2023$/);
	});
	it('keys days in local time', () => {
		expect(dayKey(new Date(2024, 0, 5, 23, 59))).toBe('2024-01-05');
	});
});

describe('shortTime', () => {
	const now = new Date(2024, 2, 9, 15, 30);
	it('goes from now to minutes, clock time, yesterday, weekday and date', () => {
		expect(shortTime(new Date(now.getTime() - 20_000), now)).toBe('now');
		expect(shortTime(new Date(now.getTime() - 5 * 60_000), now)).toBe('5 min');
		expect(shortTime(new Date(2024, 2, 9, 9, 5), now, 'en-GB')).toMatch(/^0?9:05$/);
		expect(shortTime(new Date(2024, 2, 8, 22, 0), now, 'en-GB')).toBe('Yesterday');
		expect(shortTime(new Date(2024, 2, 5, 12, 0), now, 'en-GB')).toBe('Tue');
		expect(shortTime(new Date(2024, 0, 20, 12, 0), now, 'en-GB')).toBe('20 Jan');
		expect(shortTime(new Date(2023, 0, 20, 12, 0), now, 'en-GB')).toBe('20 Jan 2023');
	});
	it('treats a time slightly in the future (clock skew) as now', () => {
		expect(shortTime(new Date(now.getTime() + 5000), now)).toBe('now');
	});
});

describe('preview', () => {
	it('folds whitespace and cuts long text with an ellipsis', () => {
		expect(preview('  a\n\nb\tc ')).toBe('a b c');
		expect(preview('x'.repeat(10), 5)).toBe('xxxx…');
		expect(preview('😀'.repeat(6), 5)).toBe('😀😀😀😀…');
	});
});

describe('plural', () => {
	it('says one or many', () => {
		expect(plural(1, 'message')).toBe('1 message');
		expect(plural(1200, 'message')).toBe('1,200 messages');
		expect(plural(2, 'reply', 'replies')).toBe('2 replies');
	});
});
