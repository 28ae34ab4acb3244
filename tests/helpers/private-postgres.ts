import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './parley.js';

const BIN = process.env.TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A throw-away PostgreSQL cluster of this test's own (initdb in a temporary directory, a free port,
 * trust authentication on 127.0.0.1 and its socket directory), so a test may stop and start it while
 * other people's tests keep using the machine's PostgreSQL on 5432. PostgreSQL refuses to run as
 * root: as root it runs as the `postgres` user (runuser), its directory handed to that user.
 */
export interface PrivatePostgres {
	/** `postgres://postgres@127.0.0.1:PORT/test` (the database `test` is made at start). */
	url: string;
	port: number;
	/** Starts it again; resolves once it accepts connections. */
	start(): Promise<void>;
	/** A fast shutdown (open connections are ended, as a restart does); resolves once it is down. */
	stop(): Promise<void>;
	/** Stops it for good and removes its directory. */
	remove(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
	const port = await freePort();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-pg-'));
	const data = path.join(dir, 'data');
	const asRoot = process.getuid?.() === 0;
	const run = (tool: string, args: string[]) => {
		const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, tool), ...args]] : [path.join(BIN, tool), args];
		return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir }).toString();
	};
	// pg_ctl asynchronously: a server in this process goes on serving while PostgreSQL stops and starts.
	const runAsync = (tool: string, args: string[]) =>
		new Promise<void>((resolve, reject) => {
			const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, tool), ...args]] : [path.join(BIN, tool), args];
			execFile(cmd, argv, { cwd: dir }, (error, _stdout, stderr) => (error ? reject(new Error(`${tool} ${args.at(-1)}: ${error.message}\n${stderr}`)) : resolve()));
		});
	if (asRoot) execFileSync('chown', ['postgres:', dir]);
	run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
	const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
	let running = false;
	const pg: PrivatePostgres = {
		url: `postgres://postgres@127.0.0.1:${port}/test`,
		port,
		async start() {
			await runAsync('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
			running = true;
		},
		async stop() {
			if (!running) return;
			await runAsync('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
			running = false;
		},
		async remove() {
			try {
				await pg.stop();
			} finally {
				fs.rmSync(dir, { recursive: true, force: true });
			}
		}
	};
	try {
		await pg.start();
		run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'test']);
	} catch (error) {
		await pg.remove();
		throw error;
	}
	return pg;
}
