// A real Parley server in its own process, on SQLite in a directory the caller owns, without Redis, so
// a benchmark measures the server and not itself. The server is server/main.ts bundled by esbuild as
// `npm run build` bundles it (scripts/build-server.mjs), into the caller's directory, never build/;
// tsx would do without the bundle, but its esbuild transform keeps function names by defining `name`
// on every function it creates, which puts each closure in dictionary mode and adds hundreds of bytes
// to every per-connection closure the production server never pays for. `memory()` asks the process
// for its heap after a full GC (parley-entry.ts's probe; Node runs with --expose-gc); everything else
// about the process can be read from /proc (procstat.ts).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import { serverBuildOptions } from '../../scripts/build-server.mjs';
import { spawnNode, type NodeChild } from './children.js';
import type { ProbedMemory } from './probe.js';

export interface ParleyProcess {
	pid: number;
	/** `http://127.0.0.1:PORT` */
	baseUrl: string;
	process: NodeChild;
	/** process.memoryUsage() after a full GC, from inside the server. */
	memory(timeoutMs?: number): Promise<ProbedMemory>;
	/** SIGTERM (a drain of at most DRAIN_TIMEOUT_MS, 1 s here), then SIGKILL after 15 s. */
	stop(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * Bundles the server (with the benchmark's probe: parley-entry.ts) into `dir`/server.js, with the
 * options of scripts/build-server.mjs; `dir` gets a package.json saying ESM and a node_modules link to
 * the repository's, since packages stay external. Returns the bundle's path. About a second.
 */
export async function bundleParley(dir: string): Promise<string> {
	const outfile = path.join(dir, 'server.js');
	await build({ ...serverBuildOptions, entryPoints: [path.join(import.meta.dirname, 'parley-entry.ts')], outfile });
	fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
	if (!fs.existsSync(path.join(dir, 'node_modules'))) fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
	return outfile;
}

export interface StartParleyProcessOptions {
	/** The server's DATA_DIR (and its working directory, so no .env of the repository is read). */
	dataDir: string;
	/** DATABASE_URL. Default `sqlite:DATA_DIR/parley.db`. */
	databaseUrl?: string;
	/** ROLES. Default `gateway,chat` (no media workers, no files). */
	roles?: string;
	/** More environment (overrides the defaults above). */
	env?: Record<string, string>;
	/** Give up if /healthz does not answer within this many ms. Default 60,000. */
	startTimeoutMs?: number;
	/** `bundle` (default): esbuild's bundle in DATA_DIR/server, as production runs; `tsx`: the sources through tsx. */
	run?: 'bundle' | 'tsx';
}

/** Settings the server reads; not inherited from the benchmark's environment. */
const PARLEY_ENV = ['DATABASE_URL', 'DATA_DIR', 'HOST', 'LOG_LEVEL', 'MAIL_FROM', 'MAX_UPLOAD_BYTES', 'NODE_ID', 'PORT', 'PUBLIC_URL', 'REDIS_URL', 'RTMP_PORT', 'REDIS_PREFIX', 'ROLES', 'SESSION_DAYS', 'CODES_PER_IP', 'SMTP_URL', 'TRUST_PROXY', 'UPLOAD_DIR', 'CORS_ORIGINS', 'DRAIN_TIMEOUT_MS'];

/**
 * The environment of a benchmark's server: this process's, less the settings the server reads
 * (PARLEY_ENV), then the server on 127.0.0.1:`port` (PUBLIC_URL to match), `dataDir` as DATA_DIR with
 * its SQLite database in it, LOG_LEVEL warn, and last `settings`, which override any of these.
 */
export function parleyEnv(options: { port: number; dataDir: string; settings?: Record<string, string> }): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { ...process.env };
	for (const name of PARLEY_ENV) delete env[name];
	return Object.assign(env, {
		PORT: String(options.port),
		HOST: '127.0.0.1',
		PUBLIC_URL: `http://127.0.0.1:${options.port}`,
		DATA_DIR: options.dataDir,
		DATABASE_URL: `sqlite:${path.join(options.dataDir, 'parley.db')}`,
		LOG_LEVEL: 'warn',
		RTMP_PORT: '0',
		...options.settings
	});
}

/** A port the OS just handed out and released. */
export async function freePort(): Promise<number> {
	const probe = net.createServer();
	await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
	const { port } = probe.address() as net.AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}

/** Polls `url` until it answers 200; rejects when `child` exits or after `timeoutMs`. */
export async function waitForHealth(url: string, child: NodeChild, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let exited: number | string | undefined;
	void child.exited.then((code) => (exited = code));
	for (;;) {
		if (exited !== undefined) throw new Error(`the server exited (${exited}) before answering ${url}:\n${child.output()}`);
		try {
			const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
			if (res.ok) return;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${child.output()}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

export async function startParleyProcess(options: StartParleyProcessOptions): Promise<ParleyProcess> {
	const port = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;
	const env = parleyEnv({
		port,
		dataDir: options.dataDir,
		settings: {
			...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
			ROLES: options.roles ?? 'gateway,chat',
			NODE_ID: 'bench',
			DRAIN_TIMEOUT_MS: '1000',
			...options.env
		}
	});
	const script = options.run === 'tsx' ? path.join(import.meta.dirname, 'parley-entry.ts') : await bundleParley(fs.mkdtempSync(path.join(options.dataDir, 'server-')));
	const child = spawnNode({ script, execArgv: ['--expose-gc'], tsx: options.run === 'tsx', env, cwd: options.dataDir });
	try {
		await waitForHealth(`${baseUrl}/healthz`, child, options.startTimeoutMs ?? 60_000);
	} catch (error) {
		await child.stop(1_000);
		throw error;
	}
	return {
		pid: child.pid,
		baseUrl,
		process: child,
		memory: (timeoutMs = 30_000) => child.request({ type: 'memory' }, (m: ProbedMemory) => (m?.type === 'memory' ? m : undefined), timeoutMs),
		stop: () => child.stop(15_000)
	};
}
