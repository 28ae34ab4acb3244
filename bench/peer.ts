// The peer (issue 7, scenario 5): the throughput-and-latency scenario and the capacity scenario run the
// same way against ejabberd, the XMPP server large deployments use, from Debian's package.
// bench/lib/ejabberd.ts installs it when missing (apt-get, as root) and starts a fresh node under a
// config of its own: 127.0.0.1 on free ports, shapers off, every chat message archived (mod_mam,
// default: always) through ejabberd's SQL backend, Message Carbons (XEP-0280) on. Throughput runs on
// SQLite and (not with --quick) on PostgreSQL, as bench/throughput.ts runs Parley on both.
//
// Throughput: the pairs, devices, message size, rate steps, saturation rule and latency run of
// bench/lib/workload.ts, driven by load generator processes (bench/lib/xmpp-generator.ts, one
// @xmpp/client per device) exactly as bench/throughput.ts drives Parley: a message goes from the
// sender's first device to the receiver's bare JID, reaching both receiver devices, and a carbon
// reaches the sender's second device; latency runs from the due time to the receiver's first device.
//
// Capacity: a fresh node, N idle authenticated, available sessions (bare sockets: stream, SASL PLAIN,
// bind, presence) from several generator processes and loopback source addresses, N stepped as in
// bench/capacity.ts; per step the beam.smp's VmRSS over the idle node's, per connection, and its CPU
// while the connections sit idle.
//
// Writes bench/results/peer.json, prints tables, and the Parley ÷ ejabberd ratios when
// bench/results/throughput.json and capacity.json come from the same machine.
//
//   npm run bench -- peer [--quick] [--only=sqlite,postgres,capacity]
//   (quick: a smoke test; when ejabberd cannot be installed or started it says why and exits 0)
import fs from 'node:fs';
import path from 'node:path';
import { spawnNode, type NodeChild } from './lib/children.js';
import { loopbackSources } from './lib/eio.js';
import { DOMAIN, ensureEjabberd, ensurePgsqlDriver, startEjabberd, type Ejabberd, type Storage } from './lib/ejabberd.js';
import type { OpenedReply, StatusReply } from './lib/hold-clients.js';
import { openShares, type HeldStep } from './lib/hold-steps.js';
import { describeRun, loadAverage, machine, RESULTS_DIR, writeResults, type Machine } from './lib/machine.js';
import { fileLimit, measureCpu, openFiles, procMemory, type CpuWindow } from './lib/procstat.js';
import { fmt, printStep, ramp, startGenerators as startStepGenerators, type Generators, type StepRow } from './lib/step-driver.js';
import { workload } from './lib/workload.js';
import { createTestDatabase, type TestDatabase } from '../tests/helpers/backends.js';
import type { XmppOpenRequest, XmppSetup } from './lib/xmpp-generator.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const wanted = (name: string) => !onlyArg || onlyArg.split(',').includes(name);
const w = workload(quick);
const here = import.meta.dirname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PASSWORD = 'bench-password';

// Capacity, as bench/capacity.ts steps it (quick: 500, then capacity.ts's first quick step).
const STEPS = quick ? [500, 1_000] : [5_000, 10_000, 20_000, 50_000];
const HOLD_GENERATORS = quick ? 2 : 4;
const WARMUP = quick ? 50 : 200;
const SETTLE_MS = quick ? 2_000 : 5_000;
const CPU_WINDOW_MS = quick ? 5_000 : 20_000;
const CONCURRENCY = 32;
const CONNECT_TIMEOUT_MS = 30_000;
const DEADLINE_MS = (quick ? 4 : 12) * 60_000;

// Whatever happens, the ejabberd node goes: children.ts kills the generators on exit; this stops the node.
let node: Ejabberd | undefined;
process.on('exit', () => node?.stopSync());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.prependListener(signal, () => node?.stopSync());
const overall = setTimeout(() => {
	console.error(`peer: still running after ${DEADLINE_MS / 60_000} minutes; giving up (ejabberd and the generators are stopped on exit)`);
	process.exit(1);
}, DEADLINE_MS);
overall.unref();

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const kib = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
const mib = (bytes: number) => `${fmt(bytes / 1024 ** 2, 1)} MiB`;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------------
// Throughput and latency

function startGenerators(ej: Ejabberd, users: string[]): Promise<Generators> {
	const pairs = Array.from({ length: w.pairs }, (_, p) => ({ users: [`${users[2 * p]}@${DOMAIN}`, `${users[2 * p + 1]}@${DOMAIN}`] as [string, string] }));
	return startStepGenerators({
		script: 'xmpp-generator.ts',
		workload: w,
		pairCount: pairs.length,
		setup: (g, count): XmppSetup => ({ gen: g, workload: w, service: ej.service, password: PASSWORD, pairs: pairs.filter((_, p) => p % count === g) }),
		setupTimeoutMs: 180_000,
		// beam.smp's CPU per message sent, as throughput.ts measures Parley's server.
		serverPids: [ej.pid],
		acks: false
	});
}

interface ThroughputResult {
	storage: Storage;
	steps: StepRow[];
	saturatedRate: number;
	saturatedByRule: boolean;
	latencyRate: number;
	latency: StepRow;
	archivedMessages?: number;
	registerSeconds: number;
}

async function throughput(ej: Ejabberd): Promise<ThroughputResult> {
	const users = Array.from({ length: 2 * w.pairs }, (_, i) => `tp${i}`);
	const t0 = performance.now();
	await ej.register(users, PASSWORD);
	const registerSeconds = round((performance.now() - t0) / 1000);
	console.log(`registered ${users.length} users in ${registerSeconds} s (ejabberdctl register, then the HTTP API)`);
	const gens = await startGenerators(ej, users);
	try {
		const { steps, saturatedRate, saturatedByRule: byRule } = await ramp(gens, w, () => gens.idle(30_000));
		const latencyRate = w.latencyFraction * saturatedRate;
		// The backlog of the saturated step must be gone, or it would count against the latency run.
		const backlog = await gens.idle(120_000);
		if (backlog > 0) console.log(`  (${backlog} messages of the ramp still not delivered after 2 minutes)`);
		await sleep(3_000);
		const latency = await gens.step(Math.max(1, Math.round(latencyRate)), w.latencySeconds);
		printStep(`${Math.round(w.latencyFraction * 100)} %, ${fmt(latencyRate)}/s`, latency);
		await gens.idle(30_000);
		return { storage: ej.storage, steps, saturatedRate, saturatedByRule: byRule, latencyRate, latency, archivedMessages: await ej.archived(), registerSeconds };
	} finally {
		await gens.stop();
	}
}

// ---------------------------------------------------------------------------------------------------
// Capacity

interface Figures {
	rssBytes: number;
	openFiles: number;
	cpu: CpuWindow;
	loadAverage: number;
}

interface CapacityStep extends HeldStep {
	/** Connections actually opened for this step when the target is past what the open-file limit allows. */
	cappedAt?: number;
	closeReasons?: Record<string, number>;
	figures?: Figures;
	perConnection?: { rssBytes: number };
}

interface CapacityResult {
	pid: number;
	fileLimit: { soft: number; hard: number };
	idle: Figures;
	steps: CapacityStep[];
	stopped?: string;
	usersSeconds: number;
}

async function figures(pid: number, cpuMs: number): Promise<Figures> {
	const rssBytes = procMemory(pid).rssBytes;
	const files = openFiles(pid);
	const cpu = await measureCpu(pid, cpuMs);
	return { rssBytes, openFiles: files, cpu, loadAverage: loadAverage() };
}

async function capacity(ej: Ejabberd): Promise<CapacityResult> {
	const sources = loopbackSources(HOLD_GENERATORS);
	const maxUsers = WARMUP + Math.max(...STEPS);
	const t0 = performance.now();
	await ej.insertUsers(Array.from({ length: maxUsers }, (_, i) => `idle${i}`), PASSWORD);
	const usersSeconds = round((performance.now() - t0) / 1000);
	console.log(`${fmt(maxUsers)} users into ejabberd's users table in ${usersSeconds} s`);
	const generators = sources.map(() => spawnNode({ script: path.join(here, 'lib', 'xmpp-generator.ts') }));
	const ask = <T>(g: NodeChild, message: object, reply: string, timeoutMs = 30_000) => g.request<T>(message, (m: { type?: string }) => (m?.type === reply ? (m as T) : undefined), timeoutMs);
	let nextUser = 0;
	const openOn = (g: NodeChild, i: number, count: number) => {
		const first = nextUser;
		nextUser += count;
		const req: XmppOpenRequest = { type: 'open', host: '127.0.0.1', port: ej.c2sPort, domain: DOMAIN, password: PASSWORD, prefix: 'idle', first, count, source: sources[i], concurrency: CONCURRENCY, timeoutMs: CONNECT_TIMEOUT_MS };
		return ask<OpenedReply>(g, req, 'opened', Math.max(60_000, count * 20 + CONNECT_TIMEOUT_MS));
	};
	const statuses = () => Promise.all(generators.map((g) => ask<StatusReply>(g, { type: 'status' }, 'status')));
	const openNow = async () => sum((await statuses()).map((s) => s.open));
	const pid = ej.pid;
	const limit = fileLimit(pid);
	// The node needs a few dozen files of its own (database, logs, listeners, epmd); at the limit it
	// cannot accept and spins on the error. A step past the limit is run just below it instead.
	const cap = Math.floor((limit.soft - 256) / 500) * 500;
	const steps: CapacityStep[] = [];
	let stopped: string | undefined;
	try {
		// A warm-up, opened and dropped, so code and tables first used by a session are not counted per connection.
		const warm = await openOn(generators[0], 0, WARMUP);
		if (warm.ok === 0) throw new Error(`not one warm-up connection opened: ${warm.errors.join('; ')}`);
		await ask(generators[0], { type: 'drop' }, 'dropped');
		await sleep(SETTLE_MS);
		const idle = await figures(pid, CPU_WINDOW_MS);
		console.log(`ejabberd: idle, RSS ${mib(idle.rssBytes)}, ${idle.cpu.perMinute.toFixed(2)} CPU s/min; open-file limit ${limit.soft}`);
		for (const [k, target] of STEPS.entries()) {
			const step: CapacityStep = { target };
			steps.push(step);
			if (stopped) {
				step.skipped = `not attempted: ${stopped}`;
				continue;
			}
			if (target > cap) step.cappedAt = cap;
			const need = Math.max(0, Math.min(target, cap) - (await openNow()));
			const connect = Object.assign(step, await openShares(generators.length, need, (i, count) => openOn(generators[i], i, count)));
			step.connectSeconds = round(connect.connectSeconds);
			await sleep(SETTLE_MS);
			step.heldAtMemory = await openNow();
			step.figures = await figures(pid, CPU_WINDOW_MS);
			const after = await statuses();
			step.held = sum(after.map((s) => s.open));
			step.closeReasons = {};
			for (const s of after) for (const [why, n] of Object.entries(s.closeReasons)) step.closeReasons[why] = (step.closeReasons[why] ?? 0) + n;
			step.perConnection = { rssBytes: (step.figures.rssBytes - idle.rssBytes) / Math.max(1, step.heldAtMemory) };
			console.log(
				`ejabberd: ${fmt(step.held)} of ${fmt(target)}${step.cappedAt ? ` (capped at ${fmt(step.cappedAt)} by the open-file limit)` : ''} held (${connect.failed} failed, connecting took ${step.connectSeconds} s), RSS ${mib(step.figures.rssBytes)}, ${kib(step.perConnection.rssBytes)}/conn, ${step.figures.cpu.perMinute.toFixed(2)} CPU s/min, ${step.figures.openFiles} open files`
			);
			const last = k === STEPS.length - 1;
			const effective = Math.min(target, cap);
			if (!last && step.cappedAt) {
				stopped = `beam.smp's open-file limit (RLIMIT_NOFILE) is ${limit.soft}: ${fmt(cap)} connections at most`;
			} else if (!last && step.figures.openFiles >= limit.soft - 2 * HOLD_GENERATORS * 8 - 64) {
				stopped = `the ${fmt(target)} step left beam.smp at ${step.figures.openFiles} open files of its limit of ${limit.soft} (RLIMIT_NOFILE; ${connect.failed} connections failed${connect.errors[0] ? `, e.g. ${connect.errors[0]}` : ''})`;
			} else if (!last && (connect.failed > effective / 100 || step.held < effective * 0.99)) {
				stopped = `the ${fmt(target)} step held ${step.held}, ${connect.failed} connections failed (${JSON.stringify(connect.failures)}${connect.errors[0] ? `, e.g. ${connect.errors[0]}` : ''})`;
			}
		}
		return { pid, fileLimit: limit, idle, steps, stopped, usersSeconds };
	} finally {
		await Promise.all(generators.map((g) => ask(g, { type: 'drop' }, 'dropped', 10_000).catch(() => undefined)));
		await Promise.all(generators.map((g) => g.stop(5_000)));
	}
}

// ---------------------------------------------------------------------------------------------------
// Parley ÷ ejabberd, from the other scenarios' results on this machine

function readResult(name: string): { machine?: Machine; quick?: boolean; at?: string; [k: string]: unknown } | undefined {
	try {
		return JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, `${name}.json`), 'utf8'));
	} catch {
		return undefined;
	}
}

const sameMachine = (a: Machine | undefined, b: Machine) => !!a && a.cpus === b.cpus && a.cpu === b.cpu && a.memoryGiB === b.memoryGiB;

interface Ratios {
	throughput?: Array<{ system: string; parleyMsgsPerSecond: number; ejabberdMsgsPerSecond: number; ratio: number; parleyP99Ms: number; ejabberdP99Ms: number; goalMet: boolean; cpuPerMessageRatio: number | null; from: string }>;
	capacity?: Array<{ connections: number; parleyRssPerConnectionBytes: number; ejabberdRssPerConnectionBytes: number; ratio: number; goalMet: boolean; from: string }>;
	notes: string[];
}

const storageName = (s: Storage) => ({ sqlite: 'SQLite', postgres: 'PostgreSQL', mnesia: 'Mnesia' })[s];

function ratios(m: Machine, tps: ThroughputResult[], cap: CapacityResult | undefined): Ratios {
	const out: Ratios = { notes: [] };
	const t = readResult('throughput');
	if (tps.length > 0 && t) {
		if (!sameMachine(t.machine, m)) out.notes.push('bench/results/throughput.json is from another machine: no throughput ratio');
		else {
			const rows = (t.summary as Array<{ system: string; saturatedRate: number; p99Ms: number; serverCpuMsPerMessage?: number }> | undefined) ?? [];
			out.throughput = [];
			for (const r of rows) {
				// Like with like: Parley on SQLite against ejabberd on SQLite, and so on (one node only).
				const tp = tps.find((x) => r.system === `Parley, ${storageName(x.storage)}`);
				if (!tp) continue;
				out.throughput.push({
					system: r.system,
					parleyMsgsPerSecond: r.saturatedRate,
					ejabberdMsgsPerSecond: Math.round(tp.saturatedRate),
					ratio: round(r.saturatedRate / tp.saturatedRate, 2),
					parleyP99Ms: r.p99Ms,
					ejabberdP99Ms: tp.latency.latency.p99Ms,
					goalMet: r.saturatedRate >= tp.saturatedRate && r.p99Ms <= tp.latency.latency.p99Ms,
					// Server CPU per message at 70 %, Parley's over ejabberd's: steadier than rates on a busy machine.
					cpuPerMessageRatio: r.serverCpuMsPerMessage ? round(r.serverCpuMsPerMessage / tp.latency.serverCpuMsPerMessage, 2) : null,
					from: `throughput.json of ${t.at}${t.quick ? ' (quick)' : ''}`
				});
			}
		}
	}
	const c = readResult('capacity');
	if (cap && c) {
		if (!sameMachine(c.machine, m)) out.notes.push('bench/results/capacity.json is from another machine: no capacity ratio');
		else {
			const runs = (c.runs as Array<{ server: string; steps: Array<{ target: number; perConnection?: { procRssBytes: number } }> }> | undefined) ?? [];
			const parley = runs.find((r) => r.server === 'parley');
			out.capacity = [];
			for (const s of cap.steps) {
				const p = parley?.steps.find((x) => x.target === s.target);
				if (!s.perConnection || !p?.perConnection) continue;
				const ratio = p.perConnection.procRssBytes / s.perConnection.rssBytes;
				out.capacity.push({
					connections: s.target,
					parleyRssPerConnectionBytes: Math.round(p.perConnection.procRssBytes),
					ejabberdRssPerConnectionBytes: Math.round(s.perConnection.rssBytes),
					ratio: round(ratio, 2),
					goalMet: ratio <= 1,
					from: `capacity.json of ${c.at}${c.quick ? ' (quick)' : ''}`
				});
			}
		}
	}
	return out;
}

// ---------------------------------------------------------------------------------------------------
// The run

async function withNode<T>(storage: Storage, run: (ej: Ejabberd) => Promise<T>): Promise<T> {
	let database: TestDatabase | undefined;
	try {
		if (storage === 'postgres') database = await createTestDatabase('postgres');
		const ej = await startEjabberd(storage, database?.url);
		node = ej;
		try {
			return await run(ej);
		} finally {
			await ej.stop();
			node = undefined;
		}
	} finally {
		await database?.drop().catch(() => {});
	}
}

/** Whether ejabberd can run on PostgreSQL here: its driver (installed if missing) and a server to talk to. */
async function postgresAvailable(): Promise<string | undefined> {
	if (!(await ensurePgsqlDriver())) return 'no erlang-p1-pgsql (or its schema) and it cannot be installed';
	try {
		const db = await createTestDatabase('postgres');
		await db.drop();
		return undefined;
	} catch (error) {
		return `no PostgreSQL server (${(error as Error).message})`;
	}
}

async function main(): Promise<number> {
	const loadBefore = loadAverage();
	const started = Date.now();
	const available = await ensureEjabberd();
	if (!available.ok) {
		console.log(`peer: skipped: ${available.why}`);
		// A smoke run states the skip and passes; a full run without its peer is a failure.
		return quick ? 0 : 1;
	}
	console.log(
		`peer: ejabberd ${available.version} (Debian), storage ${available.storage === 'sqlite' ? 'SQLite (ejabberd SQL backend)' : 'Mnesia (erlang-p1-sqlite3 not available)'}${available.installed.length ? `, installed now: ${available.installed.join(', ')}` : ''}`
	);
	console.log(
		`throughput: ${w.pairs} pairs, ${w.devicesPerUser} devices a user, ${w.messageBytes}-byte messages, steps from ${w.startRate}/s × ${w.rateFactor}, ${w.warmupSeconds} + ${w.stepSeconds} s each, ${w.generators} load generators${quick ? ' (quick: a smoke test, not a figure)' : ''}`
	);
	const tps: ThroughputResult[] = [];
	let cap: CapacityResult | undefined;
	const errors: string[] = [];
	const skipped: string[] = [];
	try {
		const storages: Storage[] = [];
		if (wanted('sqlite')) storages.push(available.storage);
		if (wanted('postgres')) {
			const why = quick ? 'not in --quick' : await postgresAvailable();
			if (why) skipped.push(`ejabberd, PostgreSQL (${why})`);
			else storages.push('postgres');
		}
		for (const storage of storages) {
			console.log(`ejabberd, ${storageName(storage)}:`);
			try {
				tps.push(await withNode(storage, throughput));
			} catch (error) {
				errors.push(`throughput on ${storage}: ${(error as Error).message}`);
				console.error(errors.at(-1));
			}
		}
		// A fresh node for capacity: the throughput run's caches and archive would count as idle memory.
		if (wanted('capacity')) {
			try {
				cap = await withNode(available.storage, capacity);
			} catch (error) {
				errors.push(`capacity: ${(error as Error).message}`);
				console.error(errors.at(-1));
			}
		}
	} catch (error) {
		errors.push((error as Error).message);
	}
	// ejabberd that installed but did not start is a skip for --quick too, with the reason printed, and
	// leaves the results of an earlier run alone.
	if (quick && errors.length > 0 && tps.length === 0 && !cap && errors.every((e) => e.includes('ejabberd did not start'))) {
		for (const e of errors) console.error(`peer: ${e}`);
		console.log('peer: skipped: ejabberd did not start (see above)');
		return 0;
	}
	const m = machine();
	const load = { before: loadBefore, after: loadAverage() };
	const r = ratios(m, tps, cap);
	writeResults('peer', {
		scenario: 'peer',
		quick,
		ejabberd: {
			version: available.version,
			storages: tps.map((t) => t.storage),
			capacityStorage: available.storage,
			config: 'bench/lib/ejabberd.ts: 127.0.0.1 only, no TLS, shapers none, mod_mam default always (SQL), mod_carboncopy, sessions in Mnesia RAM, plain passwords'
		},
		workload: w,
		capacitySteps: STEPS,
		goals: { throughput: 'Parley saturated msgs/s ≥ ejabberd with p99 ≤ ejabberd at 70 %', capacity: 'Parley RSS per connection ≤ ejabberd' },
		machine: m,
		loadAverage: load,
		seconds: Math.round((Date.now() - started) / 1000),
		at: new Date(started).toISOString(),
		throughput: tps,
		capacity: cap,
		skipped,
		ratios: r,
		errors
	});

	console.log(`\npeer: ejabberd ${available.version} (${describeRun(m, load)}, ${Math.round((Date.now() - started) / 1000)} s)`);
	if (tps.length > 0) {
		console.log('| system | saturated msgs/s | at 70 %: msgs/s | p50 ms | p99 ms | p99.9 ms | server CPU per message | archive rows |');
		console.log('|---|---|---|---|---|---|---|---|');
		for (const tp of tps) {
			const l = tp.latency.latency;
			console.log(`| ejabberd, ${storageName(tp.storage)} | ${fmt(tp.saturatedRate)}${tp.saturatedByRule ? '' : ' (not saturated)'} | ${fmt(tp.latencyRate)} | ${l.p50Ms} | ${l.p99Ms} | ${l.p999Ms} | ${tp.latency.serverCpuMsPerMessage} ms | ${tp.archivedMessages === undefined ? '-' : fmt(tp.archivedMessages)} |`);
		}
	}
	for (const s of skipped) console.log(`skipped: ${s}`);
	if (cap) {
		console.log('\n| connections | held | failed | beam RSS | RSS per connection | idle CPU | open files |');
		console.log('|---|---|---|---|---|---|---|');
		console.log(`| idle | 0 | - | ${mib(cap.idle.rssBytes)} | - | ${cap.idle.cpu.perMinute.toFixed(2)} s/min | ${cap.idle.openFiles} |`);
		for (const s of cap.steps) {
			if (!s.figures || !s.perConnection) console.log(`| ${fmt(s.target)} | - | - | - | - | - | ${s.skipped ?? ''} |`);
			else console.log(`| ${fmt(s.target)}${s.cappedAt ? ` (${fmt(s.cappedAt)}: the open-file limit)` : ''} | ${fmt(s.held ?? 0)} | ${s.failed} | ${mib(s.figures.rssBytes)} | ${kib(s.perConnection.rssBytes)} | ${s.figures.cpu.perMinute.toFixed(2)} s/min | ${s.figures.openFiles} |`);
		}
		if (cap.stopped) console.log(`stopped: ${cap.stopped}`);
	}
	if (r.throughput?.length) {
		console.log('\nParley ÷ ejabberd, throughput (goal: ratio ≥ 1.00 with p99 ≤ ejabberd’s):');
		console.log('| Parley | Parley msgs/s | ejabberd msgs/s | ratio | Parley p99 ms | ejabberd p99 ms | goal | server CPU per message, Parley ÷ ejabberd |');
		console.log('|---|---|---|---|---|---|---|---|');
		for (const x of r.throughput) console.log(`| ${x.system} | ${fmt(x.parleyMsgsPerSecond)} | ${fmt(x.ejabberdMsgsPerSecond)} | ${x.ratio.toFixed(2)} | ${x.parleyP99Ms} | ${x.ejabberdP99Ms} | ${x.goalMet ? 'met' : 'missed'} | ${x.cpuPerMessageRatio ?? '-'} |`);
	}
	if (r.capacity?.length) {
		console.log('\nParley ÷ ejabberd, RSS per idle connection (goal: at most 1.00):');
		console.log('| connections | Parley | ejabberd | ratio | goal |');
		console.log('|---|---|---|---|---|');
		for (const x of r.capacity) console.log(`| ${fmt(x.connections)} | ${kib(x.parleyRssPerConnectionBytes)} | ${kib(x.ejabberdRssPerConnectionBytes)} | ${x.ratio.toFixed(2)} | ${x.goalMet ? 'met' : 'missed'} |`);
	}
	for (const note of r.notes) console.log(note);
	for (const e of errors) console.error(`peer: ${e}`);
	// Correctness under load: a message pushed twice to one device fails the run, as in throughput.ts.
	const duplicates = sum(tps.flatMap((tp) => [...tp.steps, tp.latency].map((s) => s.duplicates)));
	if (duplicates > 0) console.error(`peer: ${duplicates} duplicate pushes`);
	const capacityBroken = cap && !cap.steps.some((s) => s.held && s.held >= Math.min(s.target, s.cappedAt ?? Infinity) * 0.99);
	if (capacityBroken) console.error('peer: ejabberd held no step of connections');
	return errors.length > 0 || duplicates > 0 || capacityBroken ? 1 : 0;
}

process.exit(await main());
