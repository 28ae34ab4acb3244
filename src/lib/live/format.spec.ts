import { describe, expect, it } from 'vitest';
import { clockText, elapsedSeconds, endedText, viewersText } from './format';

describe('live format', () => {
	it('reads seconds as a clock', () => {
		expect(clockText(0)).toBe('0:00');
		expect(clockText(7)).toBe('0:07');
		expect(clockText(42 * 60 + 10)).toBe('42:10');
		expect(clockText(3723)).toBe('1:02:03');
		expect(clockText(-5)).toBe('0:00');
		expect(clockText(59.9)).toBe('0:59');
		expect(clockText(Number.NaN)).toBe('0:00');
	});

	it('counts seconds since the start, never below zero', () => {
		const start = '2026-12-07T05:00:00.000Z';
		expect(elapsedSeconds(start, Date.parse(start) + 61_500)).toBe(61);
		expect(elapsedSeconds(start, Date.parse(start) - 5000)).toBe(0);
		expect(elapsedSeconds('not a date', Date.now())).toBe(0);
		expect(elapsedSeconds(null, Date.now())).toBe(0);
	});

	it('says how many watch', () => {
		expect(viewersText(0)).toBe('No viewers yet');
		expect(viewersText(1)).toBe('1 viewer');
		expect(viewersText(17)).toBe('17 viewers');
	});
});

describe('endedText', () => {
	it('says "Live ended" to viewers and why when it was not the streamer ending it', () => {
		expect(endedText('ended', 'viewer')).toBe('Live ended');
		expect(endedText('ended', 'streamer')).toBe('You ended the live');
		expect(endedText('streamer_left', 'viewer')).toBe('Live ended: the streamer left');
		expect(endedText('streamer_left', 'streamer')).toBe('Live ended: your connection was lost');
		expect(endedText('media_lost', 'viewer')).toBe("Live ended: the server's media stopped");
		expect(endedText('error', 'streamer')).toBe('Could not go live');
	});
});
