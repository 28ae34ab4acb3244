import { describe, expect, it } from 'vitest';
import { encode } from './amf0.js';
import { flvHeader, flvTag, videoFit } from './flv.js';
import { parseStreamPath } from './stream-path.js';

describe('FLV for ffmpeg', () => {
	it('writes a header with audio and video, and tags with their trailing size', () => {
		expect([...flvHeader().subarray(0, 5)]).toEqual([0x46, 0x4c, 0x56, 1, 5]);
		const tag = flvTag({ type: 9, timestamp: 0x12345678, streamId: 1, payload: Buffer.from([1, 2, 3]) });
		expect([...tag]).toEqual([9, 0, 0, 3, 0x34, 0x56, 0x78, 0x12, 0, 0, 0, 1, 2, 3, 0, 0, 0, 14]);
	});

	it('drops @setDataFrame from metadata, as FLV files hold onMetaData alone', () => {
		const meta = encode('onMetaData', { width: 640 });
		const tag = flvTag({ type: 18, timestamp: 0, streamId: 1, payload: Buffer.concat([encode('@setDataFrame'), meta]) });
		expect(tag.subarray(11, 11 + meta.length)).toEqual(meta);
	});

	it('copies Baseline H.264 only, from its sequence header', () => {
		const seq = (profile: number) => Buffer.from([0x17, 0, 0, 0, 0, 1, profile, 0xc0, 31]);
		expect(videoFit(seq(66))).toBe('copy');
		expect(videoFit(seq(100))).toBe('transcode'); // High
		expect(videoFit(seq(77))).toBe('transcode'); // Main (may carry B-frames)
		expect(videoFit(Buffer.from([0x27, 1, 0, 0, 0, 9]))).toBe('unknown'); // a frame, not the header
		expect(videoFit(Buffer.from([0x12, 0]))).toBe('transcode'); // Sorenson H.263
	});
});

describe('the publish path', () => {
	it('is live/<threadId>/<key>, however OBS or ffmpeg split it', () => {
		expect(parseStreamPath('live/t1/k1')).toEqual({ threadId: 't1', key: 'k1' });
		expect(parseStreamPath('live/t1//k1')).toEqual({ threadId: 't1', key: 'k1' });
		// The error is logged: it never repeats the path, which holds the key.
		expect(parseStreamPath('live/secret-key')).toEqual({ error: 'a path of 2 part(s) is not live/<threadId>/<stream key>' });
		expect(parseStreamPath('other/t1/secret-key')).toEqual({ error: 'a path of 3 part(s) not under live/ is not live/<threadId>/<stream key>' });
		expect(parseStreamPath(`live/t1/${'k'.repeat(300)}`)).toEqual({ error: 'thread id or stream key too long' });
	});
});
