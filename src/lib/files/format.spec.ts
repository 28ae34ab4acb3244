import { describe, expect, it } from 'vitest';
import { describeType, fileLine, formatBytes, formatSpeed, formatTimeLeft, kindOf, thumbBox } from './format';

describe('file formatting', () => {
	it('sizes in powers of 1024 with few digits', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(999)).toBe('999 B');
		expect(formatBytes(1536)).toBe('1.5 KB');
		expect(formatBytes(10 * 1024 * 1024)).toBe('10 MB');
		expect(formatBytes(123.4 * 1024 ** 3)).toBe('123 GB');
		expect(formatBytes(4 * 1024 ** 3)).toBe('4 GB');
		expect(formatBytes(-1)).toBe('');
	});

	it('speed and time left', () => {
		expect(formatSpeed(2.5 * 1024 * 1024)).toBe('2.5 MB/s');
		expect(formatSpeed(0)).toBe('');
		expect(formatTimeLeft(0.2)).toBe('1 s left');
		expect(formatTimeLeft(45)).toBe('45 s left');
		expect(formatTimeLeft(185)).toBe('3 min left');
		expect(formatTimeLeft(80 * 60)).toBe('1 h 20 min left');
		expect(formatTimeLeft(Infinity)).toBe('');
	});

	it('types in words', () => {
		expect(kindOf('image/png')).toBe('image');
		expect(kindOf('application/zip')).toBe('archive');
		expect(describeType('image/png')).toBe('PNG image');
		expect(describeType('video/mp4')).toBe('MP4 video');
		expect(describeType('application/pdf')).toBe('PDF document');
		expect(describeType('text/plain')).toBe('Text');
		expect(describeType('application/octet-stream')).toBe('File');
		expect(describeType('image/svg+xml')).toBe('SVG image');
	});

	it('says a file message in one line', () => {
		expect(fileLine({ name: 'report.pdf' })).toBe('📎 report.pdf');
		expect(fileLine({ deleted: true })).toBe('📎 File deleted');
		expect(fileLine(undefined)).toBe('📎 File deleted');
	});

	it('boxes a thumbnail in the image shape, within bounds, before it loads', () => {
		expect(thumbBox(4000, 3000)).toEqual({ width: 240, height: 180 });
		expect(thumbBox(1080, 1920)).toEqual({ width: 135, height: 240 });
		expect(thumbBox(100, 80)).toEqual({ width: 100, height: 96 });
		// A panorama keeps a usable height (cropped), never a sliver.
		expect(thumbBox(8000, 500)).toEqual({ width: 240, height: 96 });
		expect(thumbBox(undefined, undefined)).toEqual({ width: 240, height: 180 });
	});
});
