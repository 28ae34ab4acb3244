import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParley, type Parley } from '../../server/app.js';
import { StartRefused } from '../../server/balance/leases.service.js';
import { loadConfig } from '../../server/config.js';
import { backendNames, REDIS_URL } from '../helpers/backends.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Without REDIS_URL a chat node keeps its state in its own memory, so a second one against the same
// database would split users between two worlds that cannot see each other. The database lease
// (node_leases) refuses it with a message that says what to do; a crashed node's lease expires.

// Long enough that a renewal is never late on a busy machine (a lease lives 3 of these).
const HEARTBEAT = 500;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

describe.concurrent.each(backendNames())('the chat lease on %s', (backend) => {
	let first: TestParley;
	const dirs: string[] = [];
	const env = (over: Record<string, string>) => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-lease-'));
		dirs.push(dir);
		return loadConfig({ DATABASE_URL: first.database.url, ROLES: 'chat', NODE_HEARTBEAT_MS: String(HEARTBEAT), HOST: '127.0.0.1', PORT: '0', DATA_DIR: dir, ...over });
	};
	const started: Parley[] = [];
	const start = async (over: Record<string, string>) => {
		const p = await createParley({ config: env(over) });
		started.push(p);
		return p;
	};

	beforeAll(async () => {
		first = await startParley(backend, { env: { NODE_ID: `first-${backend}`, NODE_HEARTBEAT_MS: String(HEARTBEAT) } });
	});
	afterAll(async () => {
		for (const p of started) await p.close().catch(() => {});
		await first?.stop();
		for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
	});

	it('a second chat node without Redis is refused, naming the first and what to do; a gateway-only process is not', async () => {
		const t0 = Date.now();
		const refused = await start({ NODE_ID: 'second' }).then(
			() => null,
			(error: unknown) => error
		);
		expect(refused).toBeInstanceOf(StartRefused);
		expect((refused as Error).message).toBe(
			`another Parley chat node (id first-${backend}, ${first.baseUrl}) is running against this database; set REDIS_URL on every node to run several`
		);
		// It waited out a few heartbeats in case the holder had just crashed, no more.
		expect(Date.now() - t0).toBeGreaterThanOrEqual(4 * HEARTBEAT);
		const gateway = await start({ NODE_ID: 'gw', ROLES: 'gateway' });
		expect(gateway.config.roles).toEqual(['gateway']);
	});

	it('a node of a Redis cluster is refused while a node without Redis runs on the database', async () => {
		const refused = await start({ NODE_ID: 'clustered', REDIS_URL, REDIS_PREFIX: `parley-test:${randomBytes(4).toString('hex')}:` }).then(
			() => null,
			(error: unknown) => error
		);
		expect(refused).toBeInstanceOf(StartRefused);
		expect((refused as Error).message).toContain(`a Parley chat node without REDIS_URL (id first-${backend}`);
	});

	it('a lease whose holder crashed expires: the next node starts once 3 heartbeats have passed', async () => {
		// The lease as a node that died 1 heartbeat ago leaves it: still live for 2 more.
		const other = await startParley(backend, { env: { ROLES: 'gateway' } });
		try {
			const now = Date.now();
			await other.parley.db.db
				.insertInto('node_leases')
				.values({ name: 'chat', node_id: 'crashed', mode: 'alone', url: 'http://gone', started_at: new Date(now - 60_000).toISOString(), expires_at: new Date(now + 2 * HEARTBEAT).toISOString() })
				.execute();
			const t0 = Date.now();
			const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-lease-'));
			dirs.push(dataDir);
			const node = await createParley({ config: loadConfig({ DATABASE_URL: other.database.url, ROLES: 'chat', NODE_ID: 'successor', NODE_HEARTBEAT_MS: String(HEARTBEAT), PORT: '0', DATA_DIR: dataDir }) });
			expect(Date.now() - t0).toBeGreaterThanOrEqual(HEARTBEAT);
			const lease = await other.parley.db.db.selectFrom('node_leases').selectAll().execute();
			expect(lease).toMatchObject([{ name: 'chat', node_id: 'successor', mode: 'alone' }]);
			await node.close();
			// Closing gives the lease back at once.
			expect(await other.parley.db.db.selectFrom('node_leases').selectAll().execute()).toEqual([]);
		} finally {
			await other.stop();
		}
	});
});

describe('the refusal as an operator sees it (on sqlite)', () => {
	let first: TestParley;
	beforeAll(async () => {
		first = await startParley('sqlite', { env: { NODE_ID: 'the-first', NODE_HEARTBEAT_MS: String(HEARTBEAT) } });
	});
	afterAll(async () => first?.stop());

	it('`node server/main.ts` for a second chat node prints one line saying why and exits 75', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-lease-'));
		try {
			const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
				cwd: ROOT,
				env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: first.database.url, ROLES: 'chat', PORT: '0', HOST: '127.0.0.1', NODE_ID: 'the-second', NODE_HEARTBEAT_MS: String(HEARTBEAT), DATA_DIR: dir },
				stdio: ['ignore', 'pipe', 'pipe']
			});
			let output = '';
			child.stdout.on('data', (c) => (output += c));
			child.stderr.on('data', (c) => (output += c));
			const code = await new Promise((resolve) => child.once('exit', resolve));
			expect(code).toBe(75);
			expect(output).toContain('not starting: another Parley chat node (id the-first');
			expect(output).toContain('set REDIS_URL on every node to run several');
			expect(output).not.toMatch(/\n\s+at /);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	}, 30_000);
});
