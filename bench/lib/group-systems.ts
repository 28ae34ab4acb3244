// The systems the groups scenario (bench/groups.ts) measures: the raw `ws` broadcast baseline, and
// Parley's chat nodes over Redis on a fresh PostgreSQL database holding one group made for real.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { insertFriendship } from '../../server/chat/friends/friends.repository.js';
import { ensurePrivateThread } from '../../server/chat/conversations/threads.repository.js';
import { openDatabase } from '../../server/db/database.js';
import { nowIso } from '../../server/db/ids.js';
import { createTestDatabase, REDIS_URL } from '../../tests/helpers/backends.js';
import { spawnNode, type NodeChild } from './children.js';
import { connectSocketIo } from './eio.js';
import type { GroupMemberEndpoint } from './group-generator.js';
import type { GroupWorkload } from './group-workload.js';
import { freePort } from './parley-process.js';
import { seedUsers, type SeededUser } from './seed.js';

const here = import.meta.dirname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

export interface System {
	name: string;
	kind: 'parley' | 'ws';
	threadId: string;
	/** One endpoint per member (Parley: tickets are single-use, so asked for just before use). */
	endpoints(): Promise<GroupMemberEndpoint[]>;
	pids: number[];
	/** Parley: what the chat nodes publish to each other through Redis (the socket.io adapter's broadcasts). */
	adapterTraffic?: { reset(): void; read(): { publishes: number; bytes: number } };
	/** Parley: what its database connections were doing (pg_stat_activity sampled every 50 ms). */
	databaseWaits?: { reset(): void; read(): DatabaseWaits };
	stop(): Promise<void>;
}

/** Mean number of the chat nodes' PostgreSQL connections in each state over the samples of a step. */
export interface DatabaseWaits {
	samples: number;
	/** Running a statement (on CPU or its I/O). */
	running: number;
	/** Waiting on a lock (`wait_event_type` Lock: another transaction holds the group's thread row). */
	lockWait: number;
	/** Committing: waiting for the WAL to be written or flushed (`WALWrite`, `WALSync`, `WalSync`…). */
	walWait: number;
	/** Inside a transaction, waiting for the node to send the next statement (a round trip). */
	idleInTransaction: number;
}

/**
 * Samples pg_stat_activity for one database every `everyMs`: a few rows a sample from a separate
 * connection, so it hardly weighs on what it watches.
 */
async function sampleDatabase(url: string, everyMs: number): Promise<{ reset(): void; read(): DatabaseWaits; stop(): Promise<void> }> {
	const { default: pg } = await import('pg');
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	const name = new URL(url).pathname.slice(1);
	const zero = (): DatabaseWaits => ({ samples: 0, running: 0, lockWait: 0, walWait: 0, idleInTransaction: 0 });
	let totals = zero();
	let stopped = false;
	const loop = (async () => {
		while (!stopped) {
			const started = Date.now();
			try {
				const { rows } = await client.query<{ state: string | null; wait_event_type: string | null; wait_event: string | null }>(
					'select state, wait_event_type, wait_event from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and backend_type = $2',
					[name, 'client backend']
				);
				totals.samples++;
				for (const r of rows) {
					if (r.state === 'idle in transaction') totals.idleInTransaction++;
					else if (r.state !== 'active') continue;
					else if (r.wait_event_type === 'Lock') totals.lockWait++;
					else if (r.wait_event_type === 'IO' && /^WAL/i.test(r.wait_event ?? '')) totals.walWait++;
					else totals.running++;
				}
			} catch {
				if (stopped) break;
			}
			await sleep(Math.max(0, everyMs - (Date.now() - started)));
		}
	})();
	return {
		reset: () => void (totals = zero()),
		read: () => {
			const n = Math.max(1, totals.samples);
			return { samples: totals.samples, running: round(totals.running / n), lockWait: round(totals.lockWait / n), walWait: round(totals.walWait / n), idleInTransaction: round(totals.idleInTransaction / n) };
		},
		async stop() {
			stopped = true;
			await loop;
			await client.end().catch(() => undefined);
		}
	};
}

async function ready(child: NodeChild, what: string): Promise<number> {
	return child.request({ type: 'hello' }, (m: { ready?: number }) => m?.ready, 90_000).catch((error: Error) => {
		throw new Error(`${what} did not start: ${error.message}`);
	});
}

export async function startBroadcast(w: GroupWorkload): Promise<System> {
	const child = spawnNode({ script: path.join(here, 'ws-broadcast.ts') });
	const port = await ready(child, 'the ws broadcast server');
	return {
		name: 'ws broadcast',
		kind: 'ws',
		threadId: '',
		pids: [child.pid],
		endpoints: async () => Array.from({ length: w.members }, (_, index) => ({ index, url: `ws://127.0.0.1:${port}` })),
		stop: () => child.stop(5_000)
	};
}

/**
 * The group's people: users and sessions (bench/lib/seed.ts), then a friendship (and its private
 * thread) between the owner, user 0, and every other one, straight into the database: `groups:create`
 * takes friends only. The group itself is not seeded.
 */
async function seedGroupPeople(w: GroupWorkload, databaseUrl: string): Promise<SeededUser[]> {
	const users = await seedUsers({ databaseUrl, count: w.members, prefix: 'gm' });
	const db = await openDatabase({ url: databaseUrl });
	try {
		const now = nowIso();
		const owner = users[0].userId;
		for (const u of users.slice(1)) {
			await db.db.transaction().execute(async (trx) => {
				const id = await ensurePrivateThread(trx, owner, u.userId, now);
				await insertFriendship(trx, owner, u.userId, id, now);
			});
		}
		return users;
	} finally {
		await db.close();
	}
}

function nodeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	return { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', DRAIN_TIMEOUT_MS: '1000', ...extra };
}

async function startParleyNode(options: { name: string; databaseUrl: string; dataDir: string; env: Record<string, string>; cpuProfDir?: string }): Promise<{ child: NodeChild; url: string }> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	fs.mkdirSync(options.dataDir, { recursive: true });
	const child = spawnNode({
		script: path.join(here, 'parley-node.ts'),
		execArgv: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.cpuProfDir)}`] : [],
		cwd: options.dataDir,
		env: nodeEnv({ PORT: String(port), PUBLIC_URL: url, DATABASE_URL: options.databaseUrl, DATA_DIR: options.dataDir, ROLES: 'chat', NODE_ID: options.name, ...options.env })
	});
	await ready(child, `Parley ${options.name}`);
	return { child, url };
}

/**
 * `w.nodes` chat nodes over Redis (a REDIS_PREFIX of their own) on a fresh PostgreSQL database. A
 * gateway hands out tickets for the least-loaded node, so to put member i on node i % nodes the
 * benchmark writes the tickets into Redis itself, as the gateway would (`PREFIXticket:T` → the
 * session's claims). The owner makes the group with `groups:create` on the first node.
 */
export async function startGroupCluster(w: GroupWorkload, cpuProfDir: string | undefined): Promise<System> {
	const database = await createTestDatabase('postgres');
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-groups-'));
	const prefix = `parley-bench-groups:${randomBytes(4).toString('hex')}:`;
	const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
	// Listens to the adapter's broadcast channel (`PREFIXsocket.io#/#…`, server/chat/node/node.ts) as a
	// chat node does, to count what one group message costs in Redis traffic.
	const listener = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
	const traffic = { publishes: 0, bytes: 0 };
	const nodes: Array<{ child: NodeChild; url: string }> = [];
	let sampler: Awaited<ReturnType<typeof sampleDatabase>> | undefined;
	const stop = async () => {
		await sampler?.stop();
		listener.disconnect();
		await Promise.all(nodes.map((n) => n.child.stop(15_000)));
		const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
		for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500)).catch(() => 0);
		redis.disconnect();
		await database.drop().catch((error: Error) => console.error(`groups: could not drop the database: ${error.message}`));
		fs.rmSync(dataDir, { recursive: true, force: true });
	};
	try {
		await redis.connect();
		await listener.connect();
		listener.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => {
			traffic.publishes++;
			traffic.bytes += message.length;
		});
		await listener.psubscribe(`${prefix}socket.io#/#*`);
		const t0 = Date.now();
		const users = await seedGroupPeople(w, database.url);
		const env = { REDIS_URL, REDIS_PREFIX: prefix, NODE_HEARTBEAT_MS: '1000', GROUP_MAX_MEMBERS: String(Math.max(256, w.members)) };
		// The first migrates (a no-op after the seed) and registers before the others start together.
		nodes.push(await startParleyNode({ name: 'chat-1', databaseUrl: database.url, dataDir: path.join(dataDir, 'chat-1'), env, cpuProfDir }));
		nodes.push(
			...(await Promise.all(
				Array.from({ length: w.nodes - 1 }, (_, i) => startParleyNode({ name: `chat-${i + 2}`, databaseUrl: database.url, dataDir: path.join(dataDir, `chat-${i + 2}`), env, cpuProfDir }))
			))
		);
		const ticket = async (user: SeededUser): Promise<string> => {
			const t = randomBytes(24).toString('base64url');
			await redis.set(`${prefix}ticket:${t}`, JSON.stringify({ sessionId: user.sessionId, userId: user.userId }), 'PX', 120_000);
			return t;
		};
		// The group, through the real request.
		const owner = await connectSocketIo({ url: nodes[0].url, auth: { ticket: await ticket(users[0]) }, timeoutMs: 30_000 });
		const ack = (await owner.emitWithAck('groups:create', { title: 'Bench group', memberIds: users.slice(1).map((u) => u.userId) }, 60_000)) as {
			ok: boolean;
			thread?: { id: string; kind: string; memberCount?: number; members?: unknown[] };
			error?: { code: string; message: string };
		};
		owner.close();
		if (!ack?.ok || !ack.thread) throw new Error(`groups:create was refused: ${JSON.stringify(ack?.error ?? ack).slice(0, 300)}`);
		const count = ack.thread.memberCount ?? ack.thread.members?.length;
		if (count !== w.members) throw new Error(`groups:create made a group of ${count} members, not ${w.members}`);
		sampler = await sampleDatabase(database.url, 50);
		console.log(`  seeded ${w.members} people, started ${w.nodes} chat nodes and created the group in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
		const threadId = ack.thread.id;
		return {
			name: `Parley, ${w.nodes} chat nodes, Redis, PostgreSQL`,
			kind: 'parley',
			threadId,
			pids: nodes.map((n) => n.child.pid),
			adapterTraffic: {
				reset: () => Object.assign(traffic, { publishes: 0, bytes: 0 }),
				read: () => ({ ...traffic })
			},
			databaseWaits: { reset: () => sampler!.reset(), read: () => sampler!.read() },
			async endpoints() {
				const out: GroupMemberEndpoint[] = [];
				for (const [index, u] of users.entries()) out.push({ index, url: nodes[index % nodes.length].url, ticket: await ticket(u) });
				return out;
			},
			stop
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
