// Capacity: how many authenticated idle chat connections one Parley node holds, and what each costs
// in memory and in heartbeat CPU, as a ratio to a bare `ws` server holding the same number in the
// same run (bench/lib/ws-hold-server.ts); a bare socket.io server with Parley's options
// (bench/lib/sio-hold-server.ts) shows which part of the ratio is the stack's. Each server runs in its
// own process; load generators (bench/lib/hold-clients.ts, several processes, each from its own
// loopback source address) open connections in steps and hold them. One process per server for all
// steps: connect up to the step, settle, measure, then add connections up to the next step (a node
// grows this way, and starting a server per step would spend the run's time on starting and seeding).
//
// Per step: memory after a full GC (the server's own process.memoryUsage(), through the probe that
// only the benchmark's entry installs) and VmRSS from /proc, both as the growth over the idle server
// divided by the connections held; then CPU seconds of the server process (from /proc/PID/stat) over
// a window of whole heartbeat rounds while the connections sit idle, per minute. A connection counts
// as held if it is still open after that window; Parley's must have completed the socket.io connect
// (`40{"sid"}`) with a ticket the real HTTP endpoint handed out for a seeded session (bench/lib/seed.ts).
//
//   npm run bench -- capacity [--quick]      (quick: 1,000 and 2,000 connections, about a minute)
//   npm run bench -- capacity --steps=5000 --servers=parley,ws,socketio-defaults
//       some steps, some servers (default parley, ws, socketio); `socketio-defaults` is socket.io with
//       its own default options, for the engine comparison (sio-hold-server.ts)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnNode, type NodeChild } from './lib/children.js';
import { loopbackSources } from './lib/eio.js';
import type { HoldTarget, OpenedReply, OpenRequest, StatusReply } from './lib/hold-clients.js';
import { openShares, type HeldStep } from './lib/hold-steps.js';
import { describeRun, loadAverage, machine, writeResults } from './lib/machine.js';
import { freePort, startParleyProcess } from './lib/parley-process.js';
import type { ProbedMemory } from './lib/probe.js';
import { fileLimit, measureCpu, openFiles, procMemory, type CpuWindow } from './lib/procstat.js';
import { seedUsers } from './lib/seed.js';
import { configureLogging } from '../server/logger.js';

configureLogging({ level: 'error' });
const quick = process.argv.includes('--quick');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const STEPS = flag('steps')?.split(',').map(Number) ?? (quick ? [1_000, 2_000] : [5_000, 10_000, 20_000, 50_000]);
type ServerName = 'parley' | 'ws' | 'socketio' | 'socketio-defaults';
const SERVERS = (flag('servers')?.split(',') ?? ['parley', 'ws', 'socketio']) as ServerName[];
if (STEPS.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--steps: positive whole numbers, not ${flag('steps')}`);
if (SERVERS.some((s) => !['parley', 'ws', 'socketio', 'socketio-defaults'].includes(s))) throw new Error(`--servers: parley, ws, socketio, socketio-defaults; not ${flag('servers')}`);
if (!SERVERS.includes('ws')) SERVERS.push('ws'); // every ratio is to it
const GENERATORS = quick ? 2 : 4;
/** Opened and closed before the idle figures, so code loaded on first use is not counted per connection. */
const WARMUP = quick ? 50 : 200;
const SETTLE_MS = quick ? 1_000 : 5_000;
/** Parley's socket.io pingInterval (server/app.ts); the baseline pings as often. */
const PING_INTERVAL_MS = 20_000;
/** Whole heartbeat rounds, so every connection is pinged the same number of times (--quick: too short for a CPU figure, which it does not claim). */
const CPU_WINDOW_MS = quick ? 2_000 : 2 * PING_INTERVAL_MS;
const IDLE_CPU_MS = quick ? 1_000 : PING_INTERVAL_MS;
const CONCURRENCY = 32;
const CONNECT_TIMEOUT_MS = 30_000;
/** The whole run; past it everything is killed and what was measured is written. */
const DEADLINE_MS = (quick ? 4 : 18) * 60_000;

interface Figures {
	/** After a full GC, from inside the server. */
	memory: ProbedMemory;
	/** VmRSS from /proc at the same moment. */
	procRssBytes: number;
	openFiles: number;
	cpu: CpuWindow;
	loadAverage: number;
}

interface Step extends HeldStep {
	closedReasons?: Record<string, number>;
	/** Heartbeats the clients answered during the CPU window. */
	pingsInWindow?: number;
	figures?: Figures;
	/** Growth over the idle server per connection held: VmRSS from /proc, the probe's RSS (null at the fd limit), V8 heap, external. */
	perConnection?: { procRssBytes: number; rssBytes: number; heapBytes: number; externalBytes: number };
}

interface ServerRun {
	server: ServerName;
	pid?: number;
	fileLimit?: { soft: number; hard: number };
	idle?: Figures;
	steps: Step[];
	/** Why the steps stopped before the last one. */
	stopped?: string;
	error?: string;
	/** The server's last output lines, if it failed. */
	output?: string;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-capacity-'));
const sources = loopbackSources(GENERATORS);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const merge = (into: Record<string, number>, from: Record<string, number>) => {
	for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

function startGenerators(): NodeChild[] {
	return sources.map(() => spawnNode({ script: path.join(import.meta.dirname, 'lib', 'hold-clients.ts') }));
}

const ask = <T extends { type: string }>(g: NodeChild, message: object, reply: T['type'], timeoutMs = 30_000) =>
	g.request<T>(message, (m: T) => (m?.type === reply ? m : undefined), timeoutMs);

async function statusOf(generators: NodeChild[]): Promise<StatusReply> {
	const replies = await Promise.all(generators.map((g) => ask<StatusReply>(g, { type: 'status' }, 'status')));
	const closeReasons: Record<string, number> = {};
	for (const r of replies) merge(closeReasons, r.closeReasons);
	return { type: 'status', open: sum(replies.map((r) => r.open)), closed: sum(replies.map((r) => r.closed)), pings: sum(replies.map((r) => r.pings)), closeReasons };
}

async function figures(pid: number, memory: () => Promise<ProbedMemory>, cpuMs: number): Promise<Figures> {
	const m = await memory();
	const procRssBytes = procMemory(pid).rssBytes;
	const files = openFiles(pid);
	const cpu = await measureCpu(pid, cpuMs);
	return { memory: m, procRssBytes, openFiles: files, cpu, loadAverage: loadAverage() };
}

/**
 * Runs the steps against one server: warm-up, idle figures, then each step. Stops stepping when a
 * step fails more than 1 % of its connections or the server runs out of open files.
 */
async function runSteps(run: ServerRun, target: HoldTarget, pid: number, memory: () => Promise<ProbedMemory>, tokens: string[]): Promise<void> {
	const generators = startGenerators();
	let nextToken = 0;
	const take = (n: number) => Array.from({ length: n }, () => tokens[nextToken++ % Math.max(1, tokens.length)]);
	const openOn = (g: NodeChild, i: number, count: number) =>
		ask<OpenedReply>(
			g,
			{ type: 'open', target, count, tokens: target.kind === 'parley' ? take(count) : undefined, source: sources[i], concurrency: CONCURRENCY, timeoutMs: CONNECT_TIMEOUT_MS } satisfies OpenRequest,
			'opened',
			// Generous: a whole share at the slowest plausible rate, plus the last connect's timeout.
			Math.max(60_000, count * 20 + CONNECT_TIMEOUT_MS)
		);
	try {
		run.fileLimit = fileLimit(pid);
		const warm = await openOn(generators[0], 0, WARMUP);
		if (warm.ok === 0) throw new Error(`not one warm-up connection opened: ${warm.errors.join('; ')}`);
		await ask(generators[0], { type: 'drop' }, 'dropped');
		await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
		run.idle = await figures(pid, memory, IDLE_CPU_MS);
		console.log(`${run.server}: idle, RSS ${mib(run.idle.procRssBytes)}, heap ${mib(run.idle.memory.heapUsed)}, ${run.idle.cpu.perMinute.toFixed(2)} CPU s/min`);

		for (const [k, stepTarget] of STEPS.entries()) {
			const step: Step = { target: stepTarget };
			run.steps.push(step);
			if (run.stopped) {
				step.skipped = `not attempted: ${run.stopped}`;
				continue;
			}
			const before = await statusOf(generators);
			const need = Math.max(0, stepTarget - before.open);
			const connect = Object.assign(step, await openShares(generators.length, need, (i, count) => openOn(generators[i], i, count)));
			await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

			step.heldAtMemory = (await statusOf(generators)).open;
			const startPings = (await statusOf(generators)).pings;
			step.figures = await figures(pid, memory, CPU_WINDOW_MS);
			const after = await statusOf(generators);
			step.held = after.open;
			step.pingsInWindow = after.pings - startPings;
			step.closedReasons = after.closeReasons;
			const held = step.heldAtMemory;
			const f = step.figures;
			const idle = run.idle;
			step.perConnection = {
				rssBytes: (f.memory.rss - idle.memory.rss) / held,
				procRssBytes: (f.procRssBytes - idle.procRssBytes) / held,
				heapBytes: (f.memory.heapUsed - idle.memory.heapUsed) / held,
				externalBytes: (f.memory.external - idle.memory.external) / held
			};
			console.log(
				`${run.server}: ${step.held} of ${stepTarget} held (${connect.failed} failed, connecting took ${connect.connectSeconds.toFixed(1)} s), RSS ${kib(step.perConnection.procRssBytes)}/conn, heap ${kib(step.perConnection.heapBytes)}/conn, ${f.cpu.perMinute.toFixed(2)} CPU s/min, ${f.openFiles} open files`
			);

			const limit = run.fileLimit.soft;
			const lastStep = k === STEPS.length - 1;
			if (!lastStep && f.openFiles >= limit - 2 * GENERATORS * 8 - 64) {
				run.stopped = `the ${stepTarget.toLocaleString('en')} step left the server at ${f.openFiles} open files of its limit of ${limit} (RLIMIT_NOFILE; ${connect.failed} connections failed${connect.errors[0] ? `, e.g. ${connect.errors[0]}` : ''})`;
			} else if (!lastStep && (connect.failed > stepTarget / 100 || step.held < stepTarget * 0.99)) {
				run.stopped = `the ${stepTarget.toLocaleString('en')} step held ${step.held}, ${connect.failed} connections failed (${JSON.stringify(connect.failures)}${connect.errors[0] ? `, e.g. ${connect.errors[0]}` : ''})`;
			}
		}
	} finally {
		await Promise.all(generators.map((g) => ask(g, { type: 'drop' }, 'dropped', 10_000).catch(() => undefined)));
		await Promise.all(generators.map((g) => g.stop(5_000)));
	}
}

async function runParley(tokens: string[]): Promise<ServerRun> {
	const run: ServerRun = { server: 'parley', steps: [] };
	const parley = await startParleyProcess({ dataDir: work });
	run.pid = parley.pid;
	try {
		await runSteps(run, { kind: 'parley', url: parley.baseUrl }, parley.pid, () => parley.memory(), tokens);
	} catch (error) {
		run.error = (error as Error).message;
		run.output = parley.process.output();
	} finally {
		await parley.stop();
	}
	return run;
}

/** A baseline server (`ws`: ws-hold-server.ts, `socketio*`: sio-hold-server.ts) through the same steps. */
async function runBaseline(server: Exclude<ServerName, 'parley'>): Promise<ServerRun> {
	const run: ServerRun = { server, steps: [] };
	const port = await freePort();
	const child = spawnNode({
		script: path.join(import.meta.dirname, 'lib', server === 'ws' ? 'ws-hold-server.ts' : 'sio-hold-server.ts'),
		execArgv: ['--expose-gc'],
		env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), PING_INTERVAL_MS: String(PING_INTERVAL_MS), SIO_OPTIONS: server === 'socketio-defaults' ? 'defaults' : 'parley' }
	});
	run.pid = child.pid;
	try {
		// The first IPC message is `listening` (sent once the port is bound).
		await child.request({ type: 'hello' }, (m: { type?: string }) => (m?.type === 'listening' ? true : undefined), 60_000);
		const memory = () => child.request<ProbedMemory>({ type: 'memory' }, (m: ProbedMemory) => (m?.type === 'memory' ? m : undefined), 30_000);
		const target: HoldTarget = server === 'ws' ? { kind: 'ws', url: `ws://127.0.0.1:${port}/` } : { kind: 'socketio', url: `http://127.0.0.1:${port}` };
		await runSteps(run, target, child.pid, memory, []);
	} catch (error) {
		run.error = (error as Error).message;
		run.output = child.output();
	} finally {
		await child.stop(5_000);
	}
	return run;
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

function table(runs: ServerRun[]): string[] {
	const lines = ['| server | connections | held | failed | RSS | heap | RSS per conn | heap per conn | heartbeat CPU | open files |', '|---|---|---|---|---|---|---|---|---|---|'];
	for (const run of runs) {
		if (run.idle) lines.push(`| ${run.server} | idle | 0 | - | ${mib(run.idle.procRssBytes)} | ${mib(run.idle.memory.heapUsed)} | - | - | ${run.idle.cpu.perMinute.toFixed(2)} s/min | ${run.idle.openFiles} |`);
		for (const s of run.steps) {
			if (!s.figures || !s.perConnection) {
				lines.push(`| ${run.server} | ${s.target.toLocaleString('en')} | ${s.skipped ?? run.error ?? 'not measured'} |||||||`);
				continue;
			}
			lines.push(
				`| ${run.server} | ${s.target.toLocaleString('en')} | ${s.held!.toLocaleString('en')} | ${s.failed} | ${mib(s.figures.procRssBytes)} | ${mib(s.figures.memory.heapUsed)} | ${kib(s.perConnection.procRssBytes)} | ${kib(s.perConnection.heapBytes)} | ${s.figures.cpu.perMinute.toFixed(2)} s/min | ${s.figures.openFiles} |`
			);
		}
	}
	return lines;
}

interface Ratio {
	connections: number;
	rss: number;
	heap: number;
	/** null when the baseline used no measurable CPU in its window. */
	cpu: number | null;
	/** Memory per connection at most twice the baseline's, by RSS and by heap (RSS alone moves in whole pages and heap reservations, and is noisy at small N). */
	goalMet: boolean;
}

function ratios(parley: ServerRun, ws: ServerRun): Ratio[] {
	const out: Ratio[] = [];
	for (const p of parley.steps) {
		const w = ws.steps.find((s) => s.target === p.target);
		if (!p.perConnection || !w?.perConnection || !p.figures || !w.figures) continue;
		const rss = p.perConnection.procRssBytes / w.perConnection.procRssBytes;
		const heap = p.perConnection.heapBytes / w.perConnection.heapBytes;
		out.push({
			connections: p.target,
			rss: round(rss, 2),
			heap: round(heap, 2),
			cpu: w.figures.cpu.cpuSeconds > 0 ? round(p.figures.cpu.perMinute / w.figures.cpu.perMinute, 2) : null,
			goalMet: rss <= 2 && heap <= 2
		});
	}
	return out;
}

async function main(): Promise<number> {
	const loadBefore = loadAverage();
	const started = new Date().toISOString();
	const runs: ServerRun[] = [];
	let seed: { users: number; seconds: number } | undefined;
	const deadline = setTimeout(() => {
		console.error(`capacity: still running after ${DEADLINE_MS / 60_000} min; giving up (every child process is killed on exit)`);
		process.exit(1);
	}, DEADLINE_MS);
	deadline.unref();
	try {
		// One user with one signed-in session per connection (a connection is one device of one user).
		const seedStart = performance.now();
		const users = SERVERS.includes('parley') ? await seedUsers({ databaseUrl: `sqlite:${path.join(work, 'parley.db')}`, count: WARMUP + Math.max(...STEPS) + Math.ceil(Math.max(...STEPS) / 50) }) : [];
		seed = { users: users.length, seconds: round((performance.now() - seedStart) / 1000, 1) };
		console.log(`seeded ${users.length} users with a session each in ${seed.seconds} s`);
		for (const server of SERVERS) runs.push(server === 'parley' ? await runParley(users.map((u) => u.token)) : await runBaseline(server));
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
	const load = { before: loadBefore, after: loadAverage() };
	const m = machine();
	const parley = runs.find((r) => r.server === 'parley');
	const ws = runs.find((r) => r.server === 'ws')!;
	const others = runs.filter((r) => r.server !== 'parley' && r.server !== 'ws');
	const result = {
		scenario: 'capacity',
		quick,
		steps: STEPS,
		generators: GENERATORS,
		sources,
		warmup: WARMUP,
		settleMs: SETTLE_MS,
		pingIntervalMs: PING_INTERVAL_MS,
		cpuWindowMs: CPU_WINDOW_MS,
		seed,
		loadAverage: load,
		machine: m,
		at: started,
		servers: SERVERS,
		ratios: parley ? ratios(parley, ws) : [],
		/** socket.io alone (each variant run) over ws: the part of Parley's ratio its stack sets before Parley adds anything. */
		socketioRatios: Object.fromEntries(others.map((r) => [r.server, ratios(r, ws)])),
		runs
	};
	writeResults('capacity', result);

	console.log(`\ncapacity: idle connections held on one node (${describeRun(m, load)})`);
	for (const line of table(runs)) console.log(line);
	console.log('\nParley ÷ ws per connection (goal: at most 2.00):');
	console.log('| connections | RSS | heap | heartbeat CPU | goal |');
	console.log('|---|---|---|---|---|');
	for (const r of result.ratios) console.log(`| ${r.connections.toLocaleString('en')} | ${r.rss.toFixed(2)} | ${r.heap.toFixed(2)} | ${r.cpu?.toFixed(2) ?? '-'} | ${r.goalMet ? 'met' : 'missed'} |`);
	console.log('\nsocket.io alone ÷ ws per connection (the floor under Parley):');
	console.log('| server | connections | RSS | heap | heartbeat CPU |');
	console.log('|---|---|---|---|---|');
	for (const [server, rs] of Object.entries(result.socketioRatios)) {
		for (const r of rs) console.log(`| ${server} | ${r.connections.toLocaleString('en')} | ${r.rss.toFixed(2)} | ${r.heap.toFixed(2)} | ${r.cpu?.toFixed(2) ?? '-'} |`);
	}
	for (const run of runs) {
		if (run.stopped) console.log(`${run.server}: stopped: ${run.stopped}`);
		if (run.error) console.log(`${run.server}: failed: ${run.error}${run.output ? `\n${run.output}` : ''}`);
	}
	// A smoke run fails if either server could not hold its connections at all.
	const broken = runs.filter((r) => r.error || !r.steps.some((s) => s.held && s.held >= s.target * 0.99));
	return broken.length > 0 ? 1 : 0;
}

process.exitCode = await main();
