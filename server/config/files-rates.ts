import { ConfigError, optional, type Env } from './values.js';

/** Transfer rates of the files role (server/files/pacing), in bytes per second; 0 is unlimited. */
export interface FilesRatesConfig {
	/** `FILES_UPLOAD_RATE`: what one user's uploads get together, on every gateway of a cluster. Default unlimited. */
	readonly uploadBytesPerSecond: number;
	/** `FILES_DOWNLOAD_RATE`: what one user's file downloads get together, on every gateway. Default unlimited. */
	readonly downloadBytesPerSecond: number;
	/** `FILES_NODE_RATE`: what every transfer of this process gets together, uploads and downloads. Default unlimited. */
	readonly nodeBytesPerSecond: number;
}

const UNITS: Record<string, number> = {
	b: 1,
	kb: 1e3,
	mb: 1e6,
	gb: 1e9,
	kib: 1024,
	mib: 1024 ** 2,
	gib: 1024 ** 3
};

/** The most a rate may say: beyond any network card, and far from losing precision. */
const MAX = 1e12;

/**
 * A byte rate such as `20MB/s`, `512KiB/s` or `1.5MB/s` (B, KB, MB, GB in powers of 1000; KiB, MiB,
 * GiB in powers of 1024; `/s` may be left out), in bytes per second, rounded down; `0` (or unset) is
 * unlimited, returned as 0.
 */
export function byteRate(env: Env, name: string): number {
	const raw = optional(env, name);
	if (raw === undefined || raw === '0') return 0;
	const match = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)\s*(?:\/\s*s)?$/i.exec(raw);
	const value = match ? Math.floor(Number(match[1]) * UNITS[match[2].toLowerCase()]) : NaN;
	if (!match || !(value >= 0) || value > MAX) {
		throw new ConfigError(name, `must be bytes per second such as 20MB/s, 512KiB/s or 1.5MB/s (or 0 for unlimited), got "${raw}"`);
	}
	if (value === 0 && Number(match[1]) !== 0) throw new ConfigError(name, `is less than one byte per second: "${raw}"; give at least 1B/s, such as 512KiB/s (or 0 for unlimited)`);
	return value;
}

export function filesRatesConfig(env: Env): FilesRatesConfig {
	return Object.freeze({
		uploadBytesPerSecond: byteRate(env, 'FILES_UPLOAD_RATE'),
		downloadBytesPerSecond: byteRate(env, 'FILES_DOWNLOAD_RATE'),
		nodeBytesPerSecond: byteRate(env, 'FILES_NODE_RATE')
	});
}
