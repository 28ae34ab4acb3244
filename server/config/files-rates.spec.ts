import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { filesRatesConfig } from './files-rates.js';
import { ConfigError } from './values.js';

describe('FILES_UPLOAD_RATE, FILES_DOWNLOAD_RATE, FILES_NODE_RATE', () => {
	it('are unlimited (0) unless set, and 0 says unlimited too', () => {
		expect(loadConfig({}).filesRates).toEqual({ uploadBytesPerSecond: 0, downloadBytesPerSecond: 0, nodeBytesPerSecond: 0 });
		expect(filesRatesConfig({ FILES_UPLOAD_RATE: '0', FILES_DOWNLOAD_RATE: ' ', FILES_NODE_RATE: '0MB/s' }).uploadBytesPerSecond).toBe(0);
	});

	it.each([
		['20MB/s', 20_000_000],
		['512KiB/s', 512 * 1024],
		['1.5MB/s', 1_500_000],
		['1.5 MiB / s', 1.5 * 1024 * 1024],
		['2gib', 2 * 1024 ** 3],
		['100B/s', 100],
		['64kb', 64_000]
	])('read %s as %d bytes per second', (raw, bytes) => {
		expect(filesRatesConfig({ FILES_UPLOAD_RATE: raw }).uploadBytesPerSecond).toBe(bytes);
		expect(filesRatesConfig({ FILES_DOWNLOAD_RATE: raw }).downloadBytesPerSecond).toBe(bytes);
		expect(filesRatesConfig({ FILES_NODE_RATE: raw }).nodeBytesPerSecond).toBe(bytes);
	});

	it.each(['20', '20MB/min', 'fast', '-1MB/s', '1e3MB/s', '0.1B/s', '2000GB/s', '20 M', '1,5MB/s'])('refuse %s, naming the variable and an example', (raw) => {
		for (const name of ['FILES_UPLOAD_RATE', 'FILES_DOWNLOAD_RATE', 'FILES_NODE_RATE']) {
			let error: unknown;
			try {
				loadConfig({ [name]: raw });
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(ConfigError);
			expect((error as Error).message).toContain(name);
			expect((error as Error).message).toMatch(/512KiB\/s/);
		}
	});
});
