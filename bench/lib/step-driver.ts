// The parent's side of the throughput generators (bench/lib/chat-generator.ts, bench/lib/xmpp-generator.ts),
// shared by bench/throughput.ts (Parley, the ws relay) and bench/peer.ts (ejabberd) so both drive their
// systems the same way: the generator processes and their IPC, a step's figures summed over them with
// the servers' CPU, the ramp of rate steps until the saturation rule of workload.ts, and the step lines.
import path from 'node:path';
import { spawnNode, type NodeChild } from './children.js';
import type { StepOrder, StepResult } from './chat-generator.js';
import { merge, summary, type LatencySummary } from './histogram.js';
import { cpuSeconds } from './procstat.js';
import { rateOfStep, saturated, type Workload } from './workload.js';

export interface StepRow {
	/** CPU time (user + system) of the server processes during the step, per message sent. */
	serverCpuMsPerMessage: number;
	/** The servers' CPU use over the step as a share of one core. */
	serverCpuCores: number;
	/** The load generators' CPU use, likewise (they share the machine with the servers). */
	generatorCpuCores: number;
	offeredRate: number;
	/** Scheduled in the measured window, per second. */
	offered: number;
	/** Arrived at the peer's device in the measured window, per second. */
	delivered: number;
	latency: LatencySummary;
	sent: number;
	/** Only where the server acks a send (not XMPP). */
	acked?: number;
	ackErrors?: number;
	firstError?: string;
	/** Measured messages not at the peer by the cut-off. */
	missing: number;
	pushes: number;
	expectedPushes: number;
	duplicates: number;
}

export interface Generators {
	step(rate: number, measureSeconds: number): Promise<StepRow>;
	/** Waits until what was sent has arrived (a saturated step leaves a backlog), at most `timeoutMs`. */
	idle(timeoutMs: number): Promise<number>;
	stop(): Promise<void>;
}

export interface GeneratorOptions {
	/** The generator's script, in bench/lib. */
	script: string;
	workload: Workload;
	pairCount: number;
	/** The setup message's `setup` for generator `gen` of `count`. */
	setup(gen: number, count: number): unknown;
	setupTimeoutMs: number;
	/** The processes of the system under test, whose CPU a step counts. */
	serverPids: number[];
	/** Whether the rows carry the acks (the generators count them). */
	acks: boolean;
}

const here = import.meta.dirname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;
let stepId = 0;

export async function startGenerators(options: GeneratorOptions): Promise<Generators> {
	const w = options.workload;
	const count = Math.min(w.generators, options.pairCount);
	const children: NodeChild[] = [];
	const errors: string[] = [];
	// A generator's error fails the request it answers, rather than being thrown inside an IPC listener.
	type Reply = { type?: string; message?: string; result?: StepResult };
	const failed = (m: Reply) => (m?.type === 'error' ? { error: m.message ?? 'error' } : undefined);
	try {
		for (let g = 0; g < count; g++) {
			const child = spawnNode({ script: path.join(here, options.script) });
			child.child.on('message', (m: Reply) => {
				if (m?.type === 'error') errors.push(m.message ?? 'error');
			});
			children.push(child);
		}
		await Promise.all(
			children.map((child, g) =>
				child.request({ type: 'setup', setup: options.setup(g, count) }, (m: Reply) => failed(m) ?? (m?.type === 'ready' ? { error: undefined } : undefined), options.setupTimeoutMs).then((r) => {
					if (r.error !== undefined) throw new Error(r.error);
				})
			)
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
			const order: Omit<StepOrder, 'rate'> = {
				id: ++stepId,
				// A little ahead, so every generator has the order before the first message is due.
				startEpochMs: Date.now() + 300,
				warmupMs: w.warmupSeconds * 1000,
				measureMs: measureSeconds * 1000,
				drainMs: w.drainSeconds * 1000
			};
			const timeout = 300 + order.warmupMs + order.measureMs + order.drainMs + 60_000;
			const cpu = () => sum(options.serverPids.map((pid) => cpuSeconds(pid)));
			const genCpu = () => sum(children.map((c) => cpuSeconds(c.pid)));
			const cpuBefore = cpu();
			const genBefore = genCpu();
			const wallBefore = Date.now();
			const results = await Promise.all(
				children.map((child) =>
					child
						.request({ type: 'step', step: { ...order, rate: rate / count } }, (m: Reply) => failed(m) ?? (m?.type === 'step' ? { result: m.result! } : undefined), timeout)
						.then((r: { error?: string; result?: StepResult }) => {
							if (r.result === undefined) throw new Error(r.error);
							return r.result;
						})
				)
			);
			const cpuUsed = cpu() - cpuBefore;
			const genUsed = genCpu() - genBefore;
			const wall = (Date.now() - wallBefore) / 1000;
			const total = (f: (r: StepResult) => number) => sum(results.map(f));
			return {
				serverCpuMsPerMessage: round((cpuUsed * 1000) / Math.max(1, total((r) => r.sent)), 3),
				serverCpuCores: round(cpuUsed / wall, 2),
				generatorCpuCores: round(genUsed / wall, 2),
				offeredRate: rate,
				offered: total((r) => r.offered) / measureSeconds,
				delivered: total((r) => r.deliveredInWindow) / measureSeconds,
				latency: summary(merge(results.map((r) => r.histogram))),
				sent: total((r) => r.sent),
				...(options.acks ? { acked: total((r) => r.acked), ackErrors: total((r) => r.ackErrors), firstError: results.find((r) => r.firstError)?.firstError } : {}),
				missing: total((r) => r.missing),
				pushes: total((r) => r.pushes),
				expectedPushes: total((r) => r.expectedPushes),
				duplicates: total((r) => r.duplicates)
			};
		},
		async idle(timeoutMs) {
			check();
			const left = await Promise.all(children.map((child) => child.request({ type: 'idle', timeoutMs }, (m: { type?: string; outstanding?: number }) => (m?.type === 'idle' ? m.outstanding : undefined), timeoutMs + 10_000)));
			return sum(left);
		},
		async stop() {
			// Closing the IPC channel tells a generator to close its sockets and exit.
			for (const c of children) if (c.child.connected) c.child.disconnect();
			await Promise.all(children.map((c) => Promise.race([c.exited, sleep(5_000).then(() => c.stop(1_000))])));
		}
	};
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function printStep(label: string, row: StepRow): void {
	const l = row.latency;
	const problems = [
		row.ackErrors ? `${row.ackErrors} refused (${row.firstError})` : '',
		row.missing ? `${row.missing} not arrived` : '',
		row.duplicates ? `${row.duplicates} duplicates` : '',
		row.pushes < row.expectedPushes ? `${row.expectedPushes - row.pushes} pushes missing` : ''
	].filter(Boolean);
	console.log(
		`  ${label.padEnd(14)} offered ${fmt(row.offered).padStart(6)}/s  delivered ${fmt(row.delivered).padStart(6)}/s  p50 ${fmt(l.p50Ms, 1).padStart(7)} ms  p99 ${fmt(l.p99Ms, 1).padStart(7)} ms  p99.9 ${fmt(l.p999Ms, 1).padStart(7)} ms  server ${fmt(row.serverCpuCores, 2)} cores, ${fmt(row.serverCpuMsPerMessage, 3)} ms/msg, generators ${fmt(row.generatorCpuCores, 2)} cores${problems.length ? `  (${problems.join(', ')})` : ''}`
	);
}

export interface Ramp {
	steps: StepRow[];
	/** The best delivered rate of any step (messages per second). */
	saturatedRate: number;
	/** False when the ramp hit maxRate or maxSteps before the saturation rule fired. */
	saturatedByRule: boolean;
}

/** The rate steps of `w` until the saturation rule fires, each printed; `beforeStep` waits out the last one's backlog. */
export async function ramp(gens: Generators, w: Workload, beforeStep: () => Promise<unknown>): Promise<Ramp> {
	const steps: StepRow[] = [];
	let byRule = false;
	for (let i = 0; i < w.maxSteps; i++) {
		const rate = rateOfStep(w, i);
		if (i > 0 && rate === steps.at(-1)!.offeredRate) break;
		await beforeStep();
		const row = await gens.step(rate, w.stepSeconds);
		steps.push(row);
		printStep(`step ${i + 1}, ${fmt(rate)}/s`, row);
		if (saturated(w, { offered: row.offered, delivered: row.delivered, p99Ms: row.latency.p99Ms })) {
			byRule = true;
			break;
		}
	}
	return { steps, saturatedRate: Math.max(...steps.map((s) => s.delivered)), saturatedByRule: byRule };
}
