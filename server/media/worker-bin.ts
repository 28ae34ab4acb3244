import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export interface WorkerBinary {
	path: string;
	/** Where it came from: the config, the mediasoup package's own download, or the build cache. */
	source: 'config' | 'package' | 'cache';
	version: string;
}

/** The installed mediasoup's version, or null when the package is missing. */
export function mediasoupVersion(): string | null {
	try {
		const require = createRequire(import.meta.url);
		const pkg = require('mediasoup/package.json') as { version: string };
		return pkg.version;
	} catch {
		return null;
	}
}

/** `~/.cache/parley/mediasoup-worker-<version>/mediasoup-worker`, where `npm run setup:media` puts it. */
export function cachedWorkerPath(version: string, home = os.homedir()): string {
	return path.join(home, '.cache', 'parley', `mediasoup-worker-${version}`, 'mediasoup-worker');
}

/** A worker runs when, started without MEDIASOUP_VERSION, it exits with its own code 41. */
function runs(bin: string): boolean {
	if (!fs.existsSync(bin)) return false;
	const r = spawnSync(bin, [], { env: {}, timeout: 10_000, stdio: 'ignore' });
	return r.status === 41;
}

/**
 * Finds a runnable mediasoup worker: `configured` (MEDIASOUP_WORKER_BIN), the package's own (its
 * postinstall downloaded one), or the per-version cache that scripts/mediasoup-worker.mjs fills.
 * Returns the reason when there is none, for healthz and `call:config`.
 */
export function findWorkerBinary(options: { configured?: string; home?: string }): WorkerBinary | { error: string } {
	const version = mediasoupVersion();
	if (!version) return { error: 'the mediasoup package is not installed' };
	if (options.configured) {
		return runs(options.configured) ? { path: options.configured, source: 'config', version } : { error: `MEDIASOUP_WORKER_BIN "${options.configured}" is not a mediasoup worker that runs here` };
	}
	const require = createRequire(import.meta.url);
	const packaged = path.join(path.dirname(require.resolve('mediasoup/package.json')), 'worker', 'out', 'Release', 'mediasoup-worker');
	if (runs(packaged)) return { path: packaged, source: 'package', version };
	const cached = cachedWorkerPath(version, options.home);
	if (runs(cached)) return { path: cached, source: 'cache', version };
	return { error: `no mediasoup worker for mediasoup ${version}: run \`npm run setup:media\`` };
}
