// Throughput and latency of the message path (issue 7, scenarios 2 and 3). Pairs of users exchange
// text messages through the real path (`messages:send`, acked after the durable write, `message:new`
// to every device of both users) at stepped, open-loop offered rates (bench/lib/workload.ts) until
// the system saturates; then one run at 70 % of the best delivered rate gives p50/p99/p99.9 latency,
// due time → arrival at the peer's device. Systems, one after another in this run:
//   - ws relay: the baseline, a raw `ws` relay with no persistence (bench/lib/ws-relay.ts);
//   - Parley on SQLite, and on PostgreSQL (a fresh database, dropped after), one node;
//   - `sqlite-procs`, `postgres-procs` (only when named in --only): the same with CHAT_PROCESSES=N
//     (--chat-processes=N, default 2): a gateway process and N chat processes over Redis, tickets from
//     the gateway's balancer, so a pair's users may sit on different processes (server/processes);
//   - cross-node: two Parley chat nodes over Redis on PostgreSQL, each pair's users on different
//     nodes, against the same cluster with each pair on one node (at the same offered rate).
// Servers and load generators (bench/lib/chat-generator.ts) run in their own processes. Writes
// bench/results/throughput.json and bench/results/cross-node.json and prints tables.
//
//   npm run bench -- throughput [--quick] [--only=ws,sqlite,postgres,cross-node,sqlite-procs,postgres-procs] [--chat-processes=N] [--cpu-prof=DIR]
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { configureLogging } from '../server/logger.js';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../tests/helpers/backends.js';
import { freePortRun } from '../tests/helpers/parley.js';
import { spawnNode, type NodeChild } from './lib/children.js';
import type { DeviceEndpoint, GeneratorSetup, PairSetup } from './lib/chat-generator.js';
import { loadAverage, machine, writeResults } from './lib/machine.js';
import { seedPairs, type SeededUser } from './lib/seed.js';
import { fmt, printStep, ramp, startGenerators as startStepGenerators, type Generators, type Ramp, type StepRow } from './lib/step-driver.js';
import { saturated, workload } from './lib/workload.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const wanted = (name: string) => !only || only.has(name);
const chatProcesses = Number(process.argv.find((a) => a.startsWith('--chat-processes='))?.slice('--chat-processes='.length) ?? 2);
const cpuProfDir = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const w = workload(quick);
// The seeding's migrations log at info; the servers under test log through their own processes.
configureLogging({ level: 'warn' });
const here = import.meta.dirname;

// The whole run is bounded: a hung server or generator fails the benchmark instead of holding CI.
const overall = setTimeout(
	() => {
		console.error(`throughput: still running after ${quick ? 4 : 25} minutes; giving up`);
		process.exit(1);
	},
	(quick ? 4 : 25) * 60_000
);
overall.unref();

// ---------------------------------------------------------------------------------------------------
// Systems under test

interface System {
	name: string;
	kind: 'parley' | 'ws';
	/** Every pair with the endpoint of each device (tickets are single-use: asked for just before use). */
	pairs(set?: string): Promise<PairSetup[]>;
	pids: number[];
	stop(): Promise<void>;
}

function nodeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	return { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', DRAIN_TIMEOUT_MS: '1000', ...extra };
}

/** Its port, and the pids of its processes (with CHAT_PROCESSES, its chat processes too). */
async function ready(child: NodeChild, what: string): Promise<{ port: number; pids: number[] }> {
	const reply = await child.request({ type: 'hello' }, (m: { ready?: number; pids?: number[] }) => (m?.ready ? m : undefined), 120_000).catch((error: Error) => {
		throw new Error(`${what} did not start: ${error.message}`);
	});
	return { port: reply.ready!, pids: reply.pids ?? [child.pid] };
}

async function startRelay(): Promise<System> {
	const child = spawnNode({ script: path.join(here, 'lib', 'ws-relay.ts') });
	const { port } = await ready(child, 'the ws relay');
	const userIds = Array.from({ length: 2 * w.pairs }, (_, i) => `u${i}`);
	return {
		name: 'ws relay',
		kind: 'ws',
		pids: [child.pid],
		async pairs() {
			const device = (): DeviceEndpoint => ({ url: `ws://127.0.0.1:${port}` });
			return Array.from({ length: w.pairs }, (_, p) => ({
				threadId: `t${p}`,
				users: [0, 1].map((s) => ({ id: userIds[2 * p + s], devices: Array.from({ length: w.devicesPerUser }, device) })) as PairSetup['users']
			}));
		},
		stop: () => child.stop(5_000)
	};
}

async function startParleyNode(options: { name: string; databaseUrl: string; dataDir: string; roles: string; env?: Record<string, string> }): Promise<{ child: NodeChild; url: string; pids: number[] }> {
	// With chat processes, they take the next ports: probe until those are free too.
	const port = await freePortRun(Number(options.env?.CHAT_PROCESSES ?? 0));
	const url = `http://127.0.0.1:${port}`;
	fs.mkdirSync(options.dataDir, { recursive: true });
	const child = spawnNode({
		script: path.join(here, 'lib', 'parley-node.ts'),
		execArgv: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
		cwd: options.dataDir,
		env: nodeEnv({ PORT: String(port), PUBLIC_URL: url, DATABASE_URL: options.databaseUrl, DATA_DIR: options.dataDir, ROLES: options.roles, NODE_ID: options.name, ...options.env })
	});
	const { pids } = await ready(child, `Parley ${options.name}`);
	return { child, url, pids };
}

/**
 * One Parley node (gateway and chat) on a fresh database; tickets through its real endpoint. With
 * `processes` > 1: CHAT_PROCESSES, its chat role in that many child processes over Redis.
 */
async function startSingle(backend: 'sqlite' | 'postgres', processes = 1): Promise<System> {
	const database = await createTestDatabase(backend);
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-tp-'));
	const prefix = `parley-bench:${randomBytes(4).toString('hex')}:`;
	let node: { child: NodeChild; url: string; pids: number[] } | undefined;
	const cleanRedis = async () => {
		if (processes <= 1) return;
		const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
		const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
		if (keys.length > 0) await redis.del(...keys);
		redis.disconnect();
	};
	try {
		const seeded = await seedPairs(database.url, w.pairs, 'tp');
		const env: Record<string, string> = processes > 1 ? { CHAT_PROCESSES: String(processes), REDIS_URL, REDIS_PREFIX: prefix, NODE_HEARTBEAT_MS: '1000' } : {};
		node = await startParleyNode({ name: `bench-${backend}`, databaseUrl: database.url, dataDir, roles: 'gateway,chat', env });
		const { url, child, pids } = node;
		const ticket = async (token: string): Promise<DeviceEndpoint> => {
			const res = await fetch(`${url}/api/auth/chat-ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
			if (res.status !== 200) throw new Error(`chat-ticket answered ${res.status}: ${await res.text()}`);
			const { chat } = (await res.json()) as { chat: { url: string; ticket: string } };
			return { url: chat.url, ticket: chat.ticket };
		};
		return {
			name: `Parley, ${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}${processes > 1 ? `, ${processes} chat processes` : ''}`,
			kind: 'parley',
			pids,
			async pairs() {
				const out: PairSetup[] = [];
				for (const p of seeded) {
					const users = [] as unknown as PairSetup['users'];
					for (const u of p.users) {
						const devices: DeviceEndpoint[] = [];
						for (let d = 0; d < w.devicesPerUser; d++) devices.push(await ticket(u.token));
						users.push({ id: u.userId, devices });
					}
					out.push({ threadId: p.threadId, users });
				}
				return out;
			},
			async stop() {
				await child.stop(15_000);
				await cleanRedis();
				await database.drop();
				fs.rmSync(dataDir, { recursive: true, force: true });
			}
		};
	} catch (error) {
		await node?.child.stop(5_000);
		await cleanRedis();
		await database.drop();
		fs.rmSync(dataDir, { recursive: true, force: true });
		throw error;
	}
}

/**
 * Two chat nodes over Redis (their own REDIS_PREFIX) on a fresh PostgreSQL database. A gateway hands
 * out tickets for the least-loaded node, so to put each user on a chosen node the benchmark writes the
 * tickets into Redis itself, as the gateway would (`PREFIXticket:T` → the session's claims).
 * Two sets of pairs: `cross` (user 0 on chat-1, user 1 on chat-2) and `same` (both users of a pair
 * on one node, alternating nodes by pair).
 */
async function startCluster(): Promise<System & { prefix: string }> {
	const database = await createTestDatabase('postgres');
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-cluster-'));
	const prefix = `parley-bench:${randomBytes(4).toString('hex')}:`;
	const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
	const nodes: Array<{ child: NodeChild; url: string }> = [];
	const stop = async () => {
		await Promise.all(nodes.map((n) => n.child.stop(15_000)));
		const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
		if (keys.length > 0) await redis.del(...keys);
		redis.disconnect();
		await database.drop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	};
	try {
		await redis.connect();
		const sets = { cross: await seedPairs(database.url, w.pairs, 'cx'), same: await seedPairs(database.url, w.pairs, 'sm') };
		// One after the other: the first migrates (a no-op after the seed) and registers before the second.
		for (const name of ['chat-1', 'chat-2']) {
			nodes.push(
				await startParleyNode({
					name,
					databaseUrl: database.url,
					dataDir: path.join(dataDir, name),
					roles: 'chat',
					env: { REDIS_URL, REDIS_PREFIX: prefix, NODE_HEARTBEAT_MS: '1000' }
				})
			);
		}
		const ticket = async (user: SeededUser, node: number): Promise<DeviceEndpoint> => {
			const t = randomBytes(24).toString('base64url');
			await redis.set(`${prefix}ticket:${t}`, JSON.stringify({ sessionId: user.sessionId, userId: user.userId }), 'PX', 60_000);
			return { url: nodes[node].url, ticket: t };
		};
		return {
			name: 'Parley, 2 nodes, PostgreSQL',
			kind: 'parley',
			prefix,
			pids: nodes.map((n) => n.child.pid),
			async pairs(set = 'cross') {
				const chosen = set === 'cross' ? sets.cross : sets.same;
				const out: PairSetup[] = [];
				for (const [p, pair] of chosen.entries()) {
					const users = [] as unknown as PairSetup['users'];
					for (const [side, u] of pair.users.entries()) {
						const node = set === 'cross' ? side : p % 2;
						const devices: DeviceEndpoint[] = [];
						for (let d = 0; d < w.devicesPerUser; d++) devices.push(await ticket(u, node));
						users.push({ id: u.userId, devices });
					}
					out.push({ threadId: pair.threadId, users });
				}
				return out;
			},
			stop
		};
	} catch (error) {
		await stop();
		throw error;
	}
}

// ---------------------------------------------------------------------------------------------------
// Load generators and steps

function startGenerators(system: System, pairs: PairSetup[]): Promise<Generators> {
	return startStepGenerators({
		script: 'chat-generator.ts',
		workload: w,
		pairCount: pairs.length,
		setup: (g, count): GeneratorSetup => ({ kind: system.kind, gen: g, workload: w, pairs: pairs.filter((_, p) => p % count === g) }),
		setupTimeoutMs: 120_000,
		serverPids: system.pids,
		acks: true
	});
}

/** Waits for the backlog to arrive; says so when some of it has not after `timeoutMs`. */
async function idle(gens: Generators, timeoutMs: number): Promise<void> {
	const left = await gens.idle(timeoutMs);
	if (left > 0) console.log(`  (${left} arrivals and acks of earlier steps still missing after ${timeoutMs / 1000} s)`);
}

async function rampWithWarmup(gens: Generators): Promise<Ramp> {
	// Unmeasured: fresh processes run cold code (the JIT, first queries, socket buffers), which made a
	// first step at the lowest rate look saturated.
	await gens.step(w.startRate, w.warmupSeconds);
	return ramp(gens, w, () => idle(gens, 30_000));
}

async function latencyRun(gens: Generators, rate: number, label: string): Promise<StepRow> {
	// The backlog of a saturated step must be gone, or it would count against the latency run.
	await idle(gens, 60_000);
	const row = await gens.step(Math.max(1, Math.round(rate)), w.latencySeconds);
	printStep(label, row);
	return row;
}

// ---------------------------------------------------------------------------------------------------
// The run

interface SystemResult {
	name: string;
	ramp: Ramp;
	latencyRate: number;
	latency: StepRow;
}

async function measure(system: System): Promise<SystemResult> {
	console.log(`${system.name}:`);
	const gens = await startGenerators(system, await system.pairs());
	try {
		const r = await rampWithWarmup(gens);
		const latencyRate = w.latencyFraction * r.saturatedRate;
		const latency = await latencyRun(gens, latencyRate, `${Math.round(w.latencyFraction * 100)} %, ${fmt(latencyRate)}/s`);
		return { name: system.name, ramp: r, latencyRate, latency };
	} finally {
		await gens.stop();
	}
}

async function reachable(what: 'redis' | 'postgres'): Promise<boolean> {
	try {
		if (what === 'redis') {
			const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000, retryStrategy: () => null });
			await r.connect();
			await r.ping();
			r.disconnect();
			return true;
		}
		const db: TestDatabase = await createTestDatabase('postgres');
		await db.drop();
		return true;
	} catch {
		return false;
	}
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const loadBefore = loadAverage();
const started = Date.now();
const results: SystemResult[] = [];
const skipped: string[] = [];
const hasPostgres = await reachable('postgres');
const hasRedis = await reachable('redis');
console.log(
	`throughput: ${w.pairs} pairs, ${w.devicesPerUser} devices a user, ${w.messageBytes}-byte messages, steps from ${w.startRate}/s × ${w.rateFactor}, ${w.warmupSeconds} + ${w.stepSeconds} s each, ${w.generators} load generators${quick ? ' (quick: a smoke test, not a figure)' : ''}`
);

async function withSystem<T>(start: () => Promise<System>, run: (s: System) => Promise<T>): Promise<T> {
	const system = await start();
	try {
		return await run(system);
	} finally {
		await system.stop();
	}
}

if (wanted('ws')) results.push(await withSystem(startRelay, measure));
if (wanted('sqlite')) results.push(await withSystem(() => startSingle('sqlite'), measure));
if (wanted('postgres')) {
	if (quick) skipped.push('Parley, PostgreSQL (not in --quick)');
	else if (!hasPostgres) skipped.push('Parley, PostgreSQL (no server at 127.0.0.1:5432)');
	else results.push(await withSystem(() => startSingle('postgres'), measure));
}
// Only when named: CHAT_PROCESSES (needs Redis), after the one-process figures of the same run.
for (const backend of ['sqlite', 'postgres'] as const) {
	if (!only?.has(`${backend}-procs`)) continue;
	if (!hasRedis || (backend === 'postgres' && !hasPostgres)) skipped.push(`${backend}-procs (needs Redis${backend === 'postgres' ? ' and PostgreSQL' : ''})`);
	else results.push(await withSystem(() => startSingle(backend, chatProcesses), measure));
}

// Scenario 3: cross-node against same-node, in one cluster, at the same offered rate.
let crossNode: Record<string, unknown> | null = null;
if (wanted('cross-node')) {
	if (!hasRedis || !hasPostgres) skipped.push(`cross-node (needs Redis and PostgreSQL: ${hasRedis ? '' : 'no Redis '}${hasPostgres ? '' : 'no PostgreSQL'})`.trim());
	else {
		crossNode = await withSystem(startCluster, async (cluster) => {
			console.log(`${cluster.name}, each pair's users on different nodes:`);
			const cross = await startGenerators(cluster, await cluster.pairs('cross'));
			let crossResult: SystemResult;
			try {
				const r = await rampWithWarmup(cross);
				const latencyRate = w.latencyFraction * r.saturatedRate;
				crossResult = { name: 'cross-node', ramp: r, latencyRate, latency: await latencyRun(cross, latencyRate, `${Math.round(w.latencyFraction * 100)} %, ${fmt(latencyRate)}/s`) };
			} finally {
				await cross.stop();
			}
			console.log(`${cluster.name}, each pair on one node, at the same offered rate:`);
			const same = await startGenerators(cluster, await cluster.pairs('same'));
			let sameLatency: StepRow;
			try {
				sameLatency = await latencyRun(same, crossResult.latencyRate, `same node, ${fmt(crossResult.latencyRate)}/s`);
			} finally {
				await same.stop();
			}
			return { cross: crossResult, sameNode: { latencyRate: crossResult.latencyRate, latency: sameLatency } };
		});
	}
}

const loadAfter = loadAverage();
const baseline = results.find((r) => r.name === 'ws relay');
const summaryRows = results.map((r) => ({
	system: r.name,
	saturatedRate: Math.round(r.ramp.saturatedRate),
	saturatedByRule: r.ramp.saturatedByRule,
	ratioToBaseline: baseline ? round(r.ramp.saturatedRate / baseline.ramp.saturatedRate, 2) : null,
	latencyRate: Math.round(r.latencyRate),
	p50Ms: r.latency.latency.p50Ms,
	p99Ms: r.latency.latency.p99Ms,
	p999Ms: r.latency.latency.p999Ms,
	// CPU per message holds up on a busy machine far better than rates and tails do.
	serverCpuMsPerMessage: r.latency.serverCpuMsPerMessage,
	serverCpuRatioToBaseline: baseline ? round(r.latency.serverCpuMsPerMessage / baseline.latency.serverCpuMsPerMessage, 1) : null
}));
const common = {
	quick,
	workload: w,
	machine: machine(),
	loadAverage: { before: loadBefore, after: loadAfter },
	seconds: Math.round((Date.now() - started) / 1000),
	at: new Date().toISOString(),
	seeding: 'users, sessions, friendships and threads written straight into the database (bench/lib/seed.ts and the chat repositories); tickets from /api/auth/chat-ticket (one node) or written into Redis as the gateway does (cluster)'
};
writeResults('throughput', {
	scenario: 'throughput',
	...common,
	goals: { ratioToBaseline: 0.5, p99MsAt70Percent: 50 },
	summary: summaryRows,
	skipped,
	systems: results
});

console.log(`\nthroughput (${machine().cpus} × ${machine().cpu}, Node ${process.version}, load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}, ${common.seconds} s)`);
console.log('| system | saturated msgs/s | ratio to ws relay (goal ≥ 0.5) | at 70 %: msgs/s | p50 ms | p99 ms (goal < 50) | p99.9 ms | server CPU ms/msg (× relay) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of summaryRows) {
	console.log(`| ${r.system} | ${fmt(r.saturatedRate)}${r.saturatedByRule ? '' : ' (not saturated)'} | ${r.ratioToBaseline?.toFixed(2) ?? '-'} | ${fmt(r.latencyRate)} | ${fmt(r.p50Ms, 1)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.p999Ms, 1)} | ${fmt(r.serverCpuMsPerMessage, 3)} (${r.serverCpuRatioToBaseline ?? '-'}) |`);
}
for (const s of skipped) console.log(`skipped: ${s}`);

if (crossNode) {
	const c = crossNode as { cross: SystemResult; sameNode: { latencyRate: number; latency: StepRow } };
	const ratio = c.sameNode.latency.latency.p99Ms > 0 ? round(c.cross.latency.latency.p99Ms / c.sameNode.latency.latency.p99Ms, 2) : null;
	writeResults('cross-node', { scenario: 'cross-node', ...common, goals: { crossToSameP99: 1.5 }, p99Ratio: ratio, ...crossNode });
	console.log(`\ncross-node (2 chat nodes over Redis, PostgreSQL; saturated cross-node: ${fmt(c.cross.ramp.saturatedRate)} msgs/s)`);
	console.log('| placement | msgs/s offered | p50 ms | p99 ms | p99.9 ms | p99 ratio (goal ≤ 1.5) |');
	console.log('|---|---|---|---|---|---|');
	const l = (row: StepRow) => `${fmt(row.latency.p50Ms, 1)} | ${fmt(row.latency.p99Ms, 1)} | ${fmt(row.latency.p999Ms, 1)}`;
	console.log(`| same node | ${fmt(c.sameNode.latencyRate)} | ${l(c.sameNode.latency)} | 1.00 |`);
	console.log(`| cross-node | ${fmt(c.cross.latencyRate)} | ${l(c.cross.latency)} | ${ratio?.toFixed(2) ?? '-'} |`);
}

// Correctness under load: a refused send, a lost message or a duplicate push fails the run. The one
// exception is a step past saturation (the rule's): there the server sheds what it cannot take with its
// documented answer (`rate_limited`: at most 16 requests running and 64 waiting per connection, "try
// again in 1 s"; the web client does), which is its overload protection working, not a fault. The
// 70 % run and every step below saturation must have none.
const pastSaturation = (r: StepRow) => saturated(w, { offered: r.offered, delivered: r.delivered, p99Ms: r.latency.p99Ms });
const rampSteps = results.flatMap((r) => r.ramp.steps);
const strictRows = results.map((r) => r.latency);
if (crossNode) {
	const c = crossNode as { cross: SystemResult; sameNode: { latency: StepRow } };
	rampSteps.push(...c.cross.ramp.steps);
	strictRows.push(c.cross.latency, c.sameNode.latency);
}
const shed = rampSteps.filter((s) => pastSaturation(s) && (s.ackErrors ?? 0) > 0);
if (shed.length > 0) console.log(`throughput: ${shed.length} step(s) past saturation shed sends (first: ${shed[0].firstError}); below saturation and at 70 % none was refused`);
const refused = (r: StepRow) => (r.ackErrors ?? 0) > 0;
const bad = [...rampSteps.filter((s) => (refused(s) && !pastSaturation(s)) || s.duplicates > 0), ...strictRows.filter((r) => refused(r) || r.duplicates > 0)];
if (bad.length > 0) {
	console.error(`throughput: ${bad.length} steps with refused sends or duplicate pushes (first: ${bad[0].firstError ?? 'duplicates'})`);
	process.exit(1);
}
process.exit(0);
