// The stepping of one mediasoup worker to saturation, shared by bench/calls.ts (consumers of a call's
// video) and bench/live-viewers.ts (viewers of a stream: a video and an audio consumer each), so both
// use one rule: grow the probe's consumer transports (worker-probe.ts) step by step, hold each step and
// read the worker's CPU (/proc/PID/stat), stop at the first step where the worker uses 0.95 of a core
// or forwards less than 0.95, and fit worker cores over the steps below that to extrapolate where it
// reaches one full core. Each step is printed as a table row while it runs.
import os from 'node:os';
import type { StepMeasure, WorkerProbe } from './worker-probe.js';

export interface RampOptions {
	/** The numbers of consumer transports to step through, from 0 (the ingest alone). */
	steps: number[];
	/** How long each step is measured. */
	holdMs: number;
	/** After adding transports: each consumer waits for a key frame (one a second, or sooner on its PLI). */
	settleMs: number;
	/**
	 * A worker near saturation answers its channel slowly: a step that cannot even be set up in this
	 * long is measured as far as it got, and is the last.
	 */
	growLimitMs: number;
	/** What a transport is, for the table's first column ('consumers', 'viewers'). */
	unit: string;
}

export const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Forwarded (numbered packets, plain RTP) where it can be read, else the lower of delivered (loss) and throughput (lateness). */
export const ratio = (s: StepMeasure) => s.forwarded ?? (s.delivered === null || s.throughput === null ? null : Math.min(s.delivered, s.throughput));
export const saturated = (s: StepMeasure) => s.workerCores >= 0.95 || (ratio(s) ?? 1) < 0.95;

/** Why a step counts as saturated, and whose limit it may be: the worker's core, or the machine's (the sink here could not keep up). */
export function why(s: StepMeasure): string[] {
	const reasons: string[] = [];
	if (s.workerCores >= 0.95) reasons.push('worker at a full core');
	if ((ratio(s) ?? 1) < 0.95) reasons.push(s.forwarded === null ? `delivered ${s.delivered?.toFixed(3)}, throughput ${s.throughput?.toFixed(3)}` : `forwarded ${s.forwarded.toFixed(3)}`);
	if (s.ingressDrops) reasons.push(`${s.ingressDrops} producer packets dropped on the worker's ingress socket (it did not read in time)`);
	if (s.sinkQueuedBytes && s.sinkQueuedBytes > 1_000_000) reasons.push(`${Math.round(s.sinkQueuedBytes / 1024)} KiB waiting in the sink's queues (the bench behind, not the worker)`);
	if (s.sinkDrops) reasons.push(`${s.sinkDrops} datagrams dropped on the sink's sockets (the bench's loss, not the worker's)`);
	if (s.machineCores >= 0.95 * os.cpus().length) reasons.push('machine: every core busy');
	return reasons;
}

/** Least squares y = a + b·x. */
export function fit(points: Array<[number, number]>): { intercept: number; slope: number } | null {
	if (points.length < 2) return null;
	const n = points.length;
	const mx = points.reduce((s, [x]) => s + x, 0) / n;
	const my = points.reduce((s, [, y]) => s + y, 0) / n;
	const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
	if (sxx === 0) return null;
	const slope = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
	return { intercept: my - slope * mx, slope };
}

/** Steps the probe up until the worker saturates (or the steps run out), printing a row per step. */
export async function rampWorker(probe: WorkerProbe, options: RampOptions): Promise<StepMeasure[]> {
	const steps: StepMeasure[] = [];
	console.log(`| ${options.unit} | worker cores | bench cores | machine cores | forwarded, or delivered and throughput | packets out/s | ingress drops | sink drops | sink queue KiB | load |`);
	console.log('|---|---|---|---|---|---|---|---|---|---|');
	for (const n of options.steps) {
		const reached = await probe.grow(n, performance.now() + options.growLimitMs);
		await sleep(options.settleMs);
		const s = await probe.measure(options.holdMs);
		steps.push(s);
		const ratios = s.forwarded !== null || s.delivered === null ? (s.forwarded?.toFixed(3) ?? '-') : `${s.delivered.toFixed(3)}, ${s.throughput?.toFixed(3)}`;
		console.log(
			`| ${s.consumers} | ${s.workerCores.toFixed(3)} | ${s.benchCores.toFixed(3)} | ${s.machineCores.toFixed(2)} | ${ratios} | ${Math.round(s.received / s.seconds)} | ${s.ingressDrops ?? '-'} | ${s.sinkDrops ?? '-'} | ${s.sinkQueuedBytes === null ? '-' : Math.round(s.sinkQueuedBytes / 1024)} | ${s.loadAverage} |`
		);
		if (saturated(s)) break;
		if (reached < n) {
			console.log(`(only ${reached} of ${n} ${options.unit} set up in ${options.growLimitMs / 1000} s: stopping here)`);
			break;
		}
	}
	return steps;
}

/**
 * What a ramp says against `published` (transports per worker): the steps rounded, each with its own
 * (cores − ingest) per transport; the fitted slope (cores per transport); the first saturated step and
 * why; the last step below it (carried, a floor) and where the fitted line reaches one full core.
 */
export function capacityOf(steps: StepMeasure[], published: number) {
	const ingest = steps[0]?.workerCores ?? 0;
	const below = steps.filter((s) => s.consumers > 0 && !saturated(s));
	const last = steps.find(saturated);
	const line = fit(steps.filter((s) => !saturated(s)).map((s) => [s.consumers, s.workerCores]));
	const extrapolated = line && line.slope > 0 ? Math.floor((1 - line.intercept) / line.slope) : null;
	const measured = below.length > 0 ? below[below.length - 1].consumers : 0;
	return {
		steps: steps.map((s) => ({
			...s,
			seconds: round(s.seconds, 2),
			workerCores: round(s.workerCores),
			benchCores: round(s.benchCores),
			machineCores: round(s.machineCores, 2),
			forwarded: s.forwarded === null ? null : round(s.forwarded),
			delivered: s.delivered === null ? null : round(s.delivered),
			throughput: s.throughput === null ? null : round(s.throughput),
			workerCoresPerConsumer: s.consumers > 0 ? round((s.workerCores - ingest) / s.consumers, 5) : null
		})),
		ingestCores: round(ingest),
		/** Slope of worker cores over transports, fitted over the steps below saturation. */
		workerCoresPerConsumer: line === null ? null : round(line.slope, 5),
		saturatedAt: last?.consumers ?? null,
		saturatedBecause: last ? why(last) : [],
		/** The last step below saturation (a floor: the worker carried that many). */
		capacityMeasured: measured,
		/** Where the fitted line reaches one full core. */
		capacityExtrapolated: extrapolated,
		ratioMeasured: round(measured / published, 2),
		ratioExtrapolated: extrapolated === null ? null : round(extrapolated / published, 2)
	};
}
