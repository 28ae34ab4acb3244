import { describe, expect, it } from 'vitest';
import { liveIdRequest, liveLine, liveStartRequest, parseLiveSummary } from './live';

describe('liveLine', () => {
	it.each([
		[{ durationSec: 2530, peakViewers: 17 }, 'Live, 42:10, 17 viewers at most'],
		[{ durationSec: 5, peakViewers: 1 }, 'Live, 0:05, 1 viewer at most'],
		[{ durationSec: 0, peakViewers: 0 }, 'Live, 0:00, 0 viewers at most'],
		[{ durationSec: 3723, peakViewers: 2 }, 'Live, 1:02:03, 2 viewers at most']
	])('%j says %s', (summary, line) => {
		expect(liveLine(summary)).toBe(line);
	});
});

describe('parseLiveSummary', () => {
	it('reads the stored JSON back', () => {
		expect(parseLiveSummary(JSON.stringify({ durationSec: 12, peakViewers: 3 }))).toEqual({ durationSec: 12, peakViewers: 3 });
	});
	it.each([null, '', 'Live, 0:05', '{"durationSec":-1,"peakViewers":0}', '{"durationSec":1}', '{"durationSec":1,"peakViewers":2,"x":1}'])('refuses %j', (text) => {
		expect(parseLiveSummary(text)).toBeNull();
	});
});

describe('live requests', () => {
	it('start takes a thread and camera or screen only; RTMP streams start from the ingest', () => {
		expect(liveStartRequest.safeParse({ threadId: 't1', source: 'camera' }).success).toBe(true);
		expect(liveStartRequest.safeParse({ threadId: 't1', source: 'screen' }).success).toBe(true);
		expect(liveStartRequest.safeParse({ threadId: 't1', source: 'rtmp' }).success).toBe(false);
		expect(liveStartRequest.safeParse({ threadId: '', source: 'camera' }).success).toBe(false);
		expect(liveStartRequest.safeParse({ threadId: 't1', source: 'camera', extra: 1 }).success).toBe(false);
	});
	it('ids are 1 to 64 characters', () => {
		expect(liveIdRequest.safeParse({ liveId: 'x'.repeat(64) }).success).toBe(true);
		expect(liveIdRequest.safeParse({ liveId: 'x'.repeat(65) }).success).toBe(false);
		expect(liveIdRequest.safeParse({}).success).toBe(false);
	});
});
