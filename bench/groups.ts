// Group fan-out (issue 11, "Speed"): one group of 256 members spread over 3 chat nodes with Redis (on
// PostgreSQL), every member online with one device, members taking turns to send at stepped,
// open-loop offered rates (bench/lib/group-workload.ts) until the system saturates; then one run at
// 70 % of the best delivered rate gives p50/p99/p99.9 from the message's due time to the LAST other
// member's receipt. Throughput is counted in deliveries (messages × recipients, the sender's own copy
// not counted). Systems, one after the other in this run, driven by the same load generators
// (bench/lib/group-generator.ts) in their own processes:
//   - ws broadcast: the baseline, a raw `ws` server in one process that writes each message to the
//     same number of sockets (bench/lib/ws-broadcast.ts): no persistence, no rooms, no Redis;
//   - Parley: 3 chat nodes (bench/lib/parley-node.ts: the real server with the per-user send limit
//     lifted) over Redis (a REDIS_PREFIX of its own) on a fresh PostgreSQL database; the group made by
//     its owner's real `groups:create`, every message through the real `messages:send`.
// Writes bench/results/groups.json and prints the steps, a table and the goals (never fails on timing:
// only on refused sends, duplicate pushes, or a run where no message reached the whole group).
//
//   npm run bench -- groups [--quick] [--only=ws,parley] [--cpu-prof=DIR]
import path from 'node:path';
import { Redis } from 'ioredis';
import { configureLogging } from '../server/logger.js';
import { createTestDatabase, REDIS_URL } from '../tests/helpers/backends.js';
import { spawnNode, type NodeChild } from './lib/children.js';
import type { GroupGeneratorSetup, GroupStepOrder, GroupStepResult } from './lib/group-generator.js';
import { groupRateOfStep, groupWorkload, messagesOf, type GroupWorkload } from './lib/group-workload.js';
import { latencyHistogram, recordMs, summary, type LatencySummary } from './lib/histogram.js';
import { startBroadcast, startGroupCluster, type DatabaseWaits, type System } from './lib/group-systems.js';
import { loadAverage, machine, writeResults } from './lib/machine.js';
import { cpuSeconds } from './lib/procstat.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const wanted = (name: string) => !only || only.has(name);
const cpuProfDir = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const w: GroupWorkload = groupWorkload(quick);
configureLogging({ level: 'warn' });
const here = import.meta.dirname;
const recipients = w.members - 1;

const overall = setTimeout(
	() => {
		console.error(`groups: still running after ${quick ? 4 : 25} minutes; giving up`);
		process.exit(1);
	},
	(quick ? 4 : 25) * 60_000
);
overall.unref();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------------
// Load generators and steps

interface Row {
	/** Messages per second offered into the group. */
	rate: number;
	offeredDeliveries: number;
	/** Receipts (sender excluded) that arrived in the measured window, per second. */
	deliveredDeliveries: number;
	/** Measured messages, and their latency to the last member's receipt. */
	messages: number;
	latency: LatencySummary;
	/** Measured messages that had not reached every member by the cut-off (counted at their age). */
	missing: number;
	sent: number;
	acked: number;
	ackErrors: number;
	firstError?: string;
	echoes: number;
	expectedEchoes: number;
	duplicates: number;
	serverCpuCores: number;
	generatorCpuCores: number;
	/** Server CPU (all its processes) per delivery, µs. */
	serverCpuUsPerDelivery: number;
	/** Parley: its database connections over the step. */
	database?: DatabaseWaits;
}

interface Generators {
	step(rate: number, measureSeconds: number): Promise<Row>;
	idle(timeoutMs: number): Promise<number>;
	stop(): Promise<void>;
}

let stepId = 0;

async function startGenerators(system: System): Promise<Generators> {
	const endpoints = await system.endpoints();
	const count = w.generators;
	const children: NodeChild[] = [];
	const errors: string[] = [];
	type Reply = { type?: string; message?: string; result?: GroupStepResult; outstanding?: number };
	const failed = (m: Reply) => (m?.type === 'error' ? { error: m.message ?? 'error' } : undefined);
	try {
		for (let g = 0; g < count; g++) {
			const child = spawnNode({ script: path.join(here, 'lib', 'group-generator.ts') });
			child.child.on('message', (m: Reply) => {
				if (m?.type === 'error') errors.push(m.message ?? 'error');
			});
			children.push(child);
		}
		await Promise.all(
			children.map((child, g) => {
				const setup: GroupGeneratorSetup = { kind: system.kind, gen: g, members: w.members, threadId: system.threadId, messageBytes: w.messageBytes, endpoints: endpoints.filter((e) => e.index % count === g) };
				return child.request({ type: 'setup', setup }, (m: Reply) => failed(m) ?? (m?.type === 'ready' ? { error: undefined } : undefined), 120_000).then((r) => {
					if (r.error !== undefined) throw new Error(r.error);
				});
			})
		);
	} catch (error) {
		await Promise.all(children.map((c) => c.stop(2_000)));
		throw error;
	}
	const check = () => {
		if (errors.length > 0) throw new Error(`load generator: ${errors[0]}`);
	};
	return {
		async step(rate, measureSeconds) {
			check();
			const order: GroupStepOrder = { id: ++stepId, rate, startEpochMs: Date.now() + 300, warmupMs: w.warmupSeconds * 1000, measureMs: measureSeconds * 1000, drainMs: w.drainSeconds * 1000 };
			const timeout = 300 + order.warmupMs + order.measureMs + order.drainMs + 60_000;
			const serverCpu = () => sum(system.pids.map((pid) => cpuSeconds(pid)));
			const genCpu = () => sum(children.map((c) => cpuSeconds(c.pid)));
			system.databaseWaits?.reset();
			const cpuBefore = serverCpu();
			const genBefore = genCpu();
			const wallBefore = Date.now();
			const results = await Promise.all(
				children.map((child) =>
					child.request({ type: 'step', step: order }, (m: Reply) => failed(m) ?? (m?.type === 'step' ? { result: m.result! } : undefined), timeout).then((r: { error?: string; result?: GroupStepResult }) => {
						if (r.result === undefined) throw new Error(r.error);
						return r.result;
					})
				)
			);
			const cpuUsed = serverCpu() - cpuBefore;
			const genUsed = genCpu() - genBefore;
			const wall = (Date.now() - wallBefore) / 1000;
			const messages = messagesOf(order);
			const end = Math.max(...results.map((r) => r.endAt));
			const histogram = latencyHistogram();
			let measured = 0;
			let missing = 0;
			for (let n = 0; n < messages; n++) {
				const due = (n * 1000) / rate;
				if (due < order.warmupMs) continue;
				measured++;
				let got = 0;
				let last = 0;
				for (const r of results) {
					got += r.received[n];
					if (r.lastAt[n] > last) last = r.lastAt[n];
				}
				if (got >= recipients) recordMs(histogram, last - due);
				else {
					missing++;
					recordMs(histogram, end - due);
				}
			}
			const total = (f: (r: GroupStepResult) => number) => sum(results.map(f));
			const delivered = total((r) => r.deliveredInWindow);
			return {
				rate,
				offeredDeliveries: (measured * recipients) / measureSeconds,
				deliveredDeliveries: delivered / measureSeconds,
				messages: measured,
				latency: summary(histogram),
				missing,
				sent: total((r) => r.sent),
				acked: total((r) => r.acked),
				ackErrors: total((r) => r.ackErrors),
				firstError: results.find((r) => r.firstError)?.firstError,
				echoes: total((r) => r.echoes),
				expectedEchoes: total((r) => r.expectedEchoes),
				duplicates: total((r) => r.duplicates),
				serverCpuCores: round(cpuUsed / wall),
				generatorCpuCores: round(genUsed / wall),
				serverCpuUsPerDelivery: round((cpuUsed * 1e6) / Math.max(1, total((r) => r.sent) * recipients), 2),
				database: system.databaseWaits?.read()
			};
		},
		async idle(timeoutMs) {
			check();
			const left = await Promise.all(children.map((child) => child.request({ type: 'idle', timeoutMs }, (m: Reply) => (m?.type === 'idle' ? m.outstanding : undefined), timeoutMs + 10_000)));
			return sum(left);
		},
		async stop() {
			for (const c of children) if (c.child.connected) c.child.disconnect();
			await Promise.all(children.map((c) => Promise.race([c.exited, sleep(5_000).then(() => c.stop(1_000))])));
		}
	};
}

function printRow(label: string, row: Row): void {
	const l = row.latency;
	const problems = [
		row.ackErrors ? `${row.ackErrors} refused (${row.firstError})` : '',
		row.missing ? `${row.missing} not at every member by the cut-off` : '',
		row.duplicates ? `${row.duplicates} duplicates` : '',
		row.echoes < row.expectedEchoes ? `${row.expectedEchoes - row.echoes} own copies missing` : ''
	].filter(Boolean);
	console.log(
		`  ${label.padEnd(18)} ${fmt(row.rate, 1).padStart(6)} msgs/s  offered ${fmt(row.offeredDeliveries).padStart(7)}/s  delivered ${fmt(row.deliveredDeliveries).padStart(7)}/s  last member p50 ${fmt(l.p50Ms, 1).padStart(7)} ms  p99 ${fmt(l.p99Ms, 1).padStart(7)} ms  p99.9 ${fmt(l.p999Ms, 1).padStart(7)} ms  server ${fmt(row.serverCpuCores, 2)} cores (${fmt(row.serverCpuUsPerDelivery, 1)} µs/delivery), generators ${fmt(row.generatorCpuCores, 2)}${row.database ? `; db connections: ${fmt(row.database.lockWait, 1)} on a lock, ${fmt(row.database.walWait, 1)} committing, ${fmt(row.database.running, 1)} running, ${fmt(row.database.idleInTransaction, 1)} idle in a transaction` : ''}${problems.length ? `  (${problems.join(', ')})` : ''}`
	);
}

interface SystemResult {
	name: string;
	steps: Row[];
	/** Best delivered deliveries/s of any step. */
	saturatedDeliveries: number;
	saturatedByRule: boolean;
	latencyRate: number;
	latency: Row;
	/** Parley, over the latency run: Redis publishes on the adapter's channel per message sent, and bytes per publish. */
	adapter?: { publishesPerMessage: number; bytesPerPublish: number };
}

async function measure(system: System): Promise<SystemResult> {
	const gens = await startGenerators(system);
	const idle = async (timeoutMs: number) => {
		const left = await gens.idle(timeoutMs);
		if (left > 0) console.log(`  (${fmt(left)} receipts and acks of earlier steps still missing after ${timeoutMs / 1000} s)`);
	};
	try {
		// Unmeasured: cold code (the JIT, first queries, socket buffers) would make the first step look slow.
		await gens.step(w.startRate, w.warmupSeconds);
		const steps: Row[] = [];
		let byRule = false;
		const over = (row: Row) => row.deliveredDeliveries < w.saturation.minDeliveredRatio * row.offeredDeliveries || row.latency.p99Ms > w.saturation.maxP99Ms;
		for (let i = 0; i < w.maxSteps && !byRule; i++) {
			// A step over the rule is run once more at the same rate before the ramp stops: on a shared
			// machine one stall elsewhere (another process's burst) would otherwise end the ramp early.
			for (let attempt = 1; attempt <= (w.confirmSaturation ? 2 : 1); attempt++) {
				await idle(30_000);
				const row = await gens.step(groupRateOfStep(w, i), w.stepSeconds);
				steps.push(row);
				printRow(`step ${i + 1}${attempt > 1 ? ', again' : ''}`, row);
				if (!over(row)) break;
				if (attempt === (w.confirmSaturation ? 2 : 1)) byRule = true;
			}
		}
		const saturatedDeliveries = Math.max(...steps.map((s) => s.deliveredDeliveries));
		const latencyRate = round((w.latencyFraction * saturatedDeliveries) / recipients, 2);
		await idle(60_000);
		system.adapterTraffic?.reset();
		const latency = await gens.step(Math.max(0.5, latencyRate), w.latencySeconds);
		printRow(`${Math.round(w.latencyFraction * 100)} % of saturation`, latency);
		const t = system.adapterTraffic?.read();
		const adapter = t ? { publishesPerMessage: round(t.publishes / Math.max(1, latency.sent)), bytesPerPublish: Math.round(t.bytes / Math.max(1, t.publishes)) } : undefined;
		if (adapter) console.log(`  Redis (socket.io adapter) during that run: ${adapter.publishesPerMessage} publishes per message sent, ${fmt(adapter.bytesPerPublish)} bytes each`);
		return { name: system.name, steps, saturatedDeliveries, saturatedByRule: byRule, latencyRate, latency, adapter };
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
		const db = await createTestDatabase('postgres');
		await db.drop();
		return true;
	} catch {
		return false;
	}
}

async function withSystem<T>(label: string, start: () => Promise<System>, run: (s: System) => Promise<T>): Promise<T> {
	console.log(`${label}:`);
	const system = await start();
	try {
		return await run(system);
	} finally {
		await system.stop();
	}
}

// ---------------------------------------------------------------------------------------------------
// The run

const loadBefore = loadAverage();
const started = Date.now();
const results: SystemResult[] = [];
const skipped: string[] = [];
console.log(
	`groups: one group of ${w.members} members (one device each) over ${w.nodes} chat nodes, ${w.messageBytes}-byte messages, steps from ${w.startRate} msgs/s × ${w.rateFactor}, ${w.warmupSeconds} + ${w.stepSeconds} s each, ${w.generators} load generators${quick ? ' (quick: a smoke test, not a figure)' : ''}`
);

if (wanted('ws')) results.push(await withSystem(`ws broadcast to ${w.members} sockets, one process`, () => startBroadcast(w), measure));
if (wanted('parley')) {
	const [hasRedis, hasPostgres] = [await reachable('redis'), await reachable('postgres')];
	if (!hasRedis || !hasPostgres) {
		const why = `Parley (needs Redis at ${REDIS_URL} and PostgreSQL: ${[hasRedis ? '' : 'no Redis', hasPostgres ? '' : 'no PostgreSQL'].filter(Boolean).join(', ')})`;
		// CI has both: a smoke run that silently measured nothing would prove nothing.
		if (process.env.CI === 'true') {
			console.error(`groups: ${why}`);
			process.exit(1);
		}
		skipped.push(why);
	} else results.push(await withSystem(`Parley, ${w.nodes} chat nodes over Redis, PostgreSQL`, () => startGroupCluster(w, cpuProfDir), measure));
}

const loadAfter = loadAverage();
const baseline = results.find((r) => r.name === 'ws broadcast');
const parley = results.find((r) => r.name !== 'ws broadcast');
const summaryRows = results.map((r) => ({
	system: r.name,
	saturatedDeliveriesPerSecond: Math.round(r.saturatedDeliveries),
	saturatedMessagesPerSecond: round(r.saturatedDeliveries / recipients, 1),
	saturatedByRule: r.saturatedByRule,
	ratioToBaseline: baseline ? round(r.saturatedDeliveries / baseline.saturatedDeliveries) : null,
	latencyMessagesPerSecond: r.latencyRate,
	latencyDeliveriesPerSecond: Math.round(r.latency.deliveredDeliveries),
	p50Ms: r.latency.latency.p50Ms,
	p99Ms: r.latency.latency.p99Ms,
	p999Ms: r.latency.latency.p999Ms,
	missingInLatencyRun: r.latency.missing,
	serverCpuUsPerDelivery: r.latency.serverCpuUsPerDelivery,
	adapter: r.adapter ?? null
}));
const goals = {
	p99MsAt70Percent: 250,
	ratioToBaseline: 0.3,
	p99Met: parley ? parley.latency.latency.p99Ms < 250 && parley.latency.missing === 0 : null,
	ratioMet: parley && baseline ? parley.saturatedDeliveries / baseline.saturatedDeliveries >= 0.3 : null
};
const seconds = Math.round((Date.now() - started) / 1000);
writeResults('groups', {
	scenario: 'groups',
	quick,
	workload: w,
	machine: machine(),
	loadAverage: { before: loadBefore, after: loadAfter },
	seconds,
	at: new Date().toISOString(),
	setup:
		'users, sessions and the owner’s friendships written straight into the database (bench/lib/seed.ts and the chat repositories); the group made by groups:create; tickets written into Redis as the gateway does; every message through messages:send',
	goals,
	summary: summaryRows,
	skipped,
	systems: results
});

console.log(`\ngroups (${machine().cpus} × ${machine().cpu}, Node ${process.version}, load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}, ${seconds} s; ${w.members} members, ${recipients} recipients a message)`);
console.log('| system | saturated deliveries/s (msgs/s) | ratio to ws broadcast (goal ≥ 0.3) | at 70 %: msgs/s | last member p50 ms | p99 ms (goal < 250) | p99.9 ms | server CPU µs/delivery |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of summaryRows) {
	console.log(
		`| ${r.system} | ${fmt(r.saturatedDeliveriesPerSecond)} (${fmt(r.saturatedMessagesPerSecond, 1)})${r.saturatedByRule ? '' : ' (not saturated)'} | ${r.ratioToBaseline?.toFixed(2) ?? '-'} | ${fmt(r.latencyMessagesPerSecond, 1)} | ${fmt(r.p50Ms, 1)} | ${fmt(r.p99Ms, 1)}${r.missingInLatencyRun ? ` (${r.missingInLatencyRun} not at everyone)` : ''} | ${fmt(r.p999Ms, 1)} | ${fmt(r.serverCpuUsPerDelivery, 1)} |`
	);
}
for (const s of skipped) console.log(`skipped: ${s}`);
if (parley) {
	console.log(`goal: p99 < 250 ms at 70 % of saturation: ${fmt(parley.latency.latency.p99Ms, 1)} ms → ${goals.p99Met ? 'met' : 'not met'}${quick ? ' (quick run: not a figure)' : ''}`);
	if (baseline) {
		// A system the ramp did not saturate delivered at least its figure: the ratio is then a bound.
		const bound = !baseline.saturatedByRule && !parley.saturatedByRule ? ' (neither saturated: not a ratio of capacities)' : !baseline.saturatedByRule ? ' (the broadcast not saturated: an upper bound)' : !parley.saturatedByRule ? ' (Parley not saturated: a lower bound)' : '';
		console.log(
			`goal: deliveries/s ≥ 0.3 × the raw ws broadcast: ${fmt(parley.saturatedDeliveries)} / ${fmt(baseline.saturatedDeliveries)} = ${(parley.saturatedDeliveries / baseline.saturatedDeliveries).toFixed(2)} → ${goals.ratioMet ? 'met' : 'not met'}${bound}${quick ? ' (quick run: not a figure)' : ''}`
		);
	}
}

// Correctness under load, never timing: refused sends, duplicate pushes, or nothing ever reaching the
// whole group fail the run.
const allRows = results.flatMap((r) => [...r.steps, r.latency]);
const bad = allRows.filter((r) => r.ackErrors > 0 || r.duplicates > 0);
if (bad.length > 0) {
	console.error(`groups: ${bad.length} steps with refused sends or duplicate pushes (first: ${bad[0].firstError ?? 'duplicates'})`);
	process.exit(1);
}
const deadSystems = results.filter((r) => [...r.steps, r.latency].every((row) => row.missing >= row.messages));
if (deadSystems.length > 0) {
	console.error(`groups: no message reached every member in ${deadSystems.map((r) => r.name).join(', ')}`);
	process.exit(1);
}
process.exit(0);
