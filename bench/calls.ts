// Calls (issue 12, "Calls everywhere"), two figures:
//   1. One mediasoup worker's fan-out capacity: one VP8 producer at 30 fps (~500 kbit/s in packets of
//      ~1,200 bytes, from an RTP generator in this process, bench/lib/rtp-generator.ts) and N consumers
//      on PlainTransports sending to UDP sockets in this process (bench/lib/udp-sink.ts), N stepped up
//      (bench/lib/worker-probe.ts, stepped by bench/lib/worker-ramp.ts, as bench/live-viewers.ts does).
//      Each step: the worker's CPU (/proc/PID/stat), this process's CPU (generator, sink: they share
//      the machine's cores with the worker) and the forwarded ratio,
//      received / (sent × N). The worker saturates at the first step where it uses 0.95 of a core or
//      forwards less than 0.95. The baseline is mediasoup's published figure, ~500 consumers per
//      worker; the capacity is the last step below saturation, and the CPU per consumer of the steps
//      below it extrapolated to one full core.
//   2. Accept → first decoded remote frame: a 1:1 video call between two Chromium pages through the
//      built Parley (bench/lib/built-parley.ts, bench/lib/call-timing.ts), 10 calls; p50 and max for
//      each side against the goal of 1.5 s.
// Writes bench/results/calls.json and prints the steps and a summary. Never fails on timing; without a
// mediasoup worker it says so and exits 0, except under CI=true where that is a failure.
//
//   npm run build && npm run bench -- calls [--quick]      (quick: steps 0/10/25 held 1.5 s, 3 calls)
import os from 'node:os';
import { findWorkerBinary } from '../server/media/worker-bin.js';
import { befriend, connectBot } from '../tests/e2e/chat-helpers.js';
import globalSetup from '../tests/e2e/global-setup.js';
import { startBuiltParley } from './lib/built-parley.js';
import { timeCalls, type CallTiming } from './lib/call-timing.js';
import { loadAverage, machine, writeResults } from './lib/machine.js';
import { startWorkerProbe, type StepMeasure } from './lib/worker-probe.js';
import { capacityOf, rampWorker } from './lib/worker-ramp.js';

const quick = process.argv.includes('--quick');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const STEPS = quick ? [0, 10, 25] : [0, 25, 50, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000];
const HOLD_MS = quick ? 1_500 : 5_000;
/** After adding consumers: each waits for a key frame (one a second, or sooner on its PLI). */
const SETTLE_MS = quick ? 1_000 : 2_000;
const CALLS = quick ? 3 : 10;
/** A step not set up in this long is measured as far as it got, and is the last (bench/lib/worker-ramp.ts). */
const GROW_LIMIT_MS = quick ? 20_000 : 60_000;
const PUBLISHED_PER_WORKER = 500;
const GOAL_MS = 1_500;
const VIDEO = { fps: 30, bitrate: 500_000, packetBytes: 1_200 };

const overall = setTimeout(
	() => {
		console.error(`calls: still running after ${quick ? 4 : 20} minutes; giving up`);
		process.exit(1);
	},
	(quick ? 4 : 20) * 60_000
);
overall.unref();

async function workerCapacity(bin: string, srtp: boolean) {
	const probe = await startWorkerProbe({ bin, srtp, ...VIDEO });
	let steps: StepMeasure[];
	try {
		console.log(`${srtp ? 'SRTP' : 'plain RTP'} consumers: one mediasoup worker (pid ${probe.pid}), one VP8 producer: ${VIDEO.fps} fps, ${VIDEO.bitrate / 1000} kbit/s, ${probe.generator.packetsPerFrame} packets a frame; steps held ${HOLD_MS / 1000} s`);
		steps = await rampWorker(probe, { steps: STEPS, holdMs: HOLD_MS, settleMs: SETTLE_MS, growLimitMs: GROW_LIMIT_MS, unit: 'consumers' });
	} finally {
		await probe.close();
	}
	return {
		srtp: srtp ? 'AES_CM_128_HMAC_SHA1_80' : false,
		video: { ...VIDEO, packetsPerFrame: probe.generator.packetsPerFrame, keyFrameEverySeconds: 1 },
		holdSeconds: HOLD_MS / 1000,
		baseline: { name: "mediasoup's published consumers per worker", consumers: PUBLISHED_PER_WORKER },
		...capacityOf(steps, PUBLISHED_PER_WORKER)
	};
}

function percentile(xs: number[], p: number): number {
	const sorted = [...xs].sort((a, b) => a - b);
	return sorted[Math.max(0, Math.ceil(sorted.length * p) - 1)];
}

async function acceptToFrame() {
	globalSetup(); // builds the app when it is missing or older than the sources, as the browser tests do
	const parley = await startBuiltParley();
	try {
		const tag = Date.now().toString(36).slice(-5);
		const caller = await parley.signUp(`benchcaller${tag}`, 'Alice Caller');
		const callee = await parley.signUp(`benchcallee${tag}`, 'Bob Callee');
		const [a, b] = await Promise.all([connectBot(parley.baseUrl, caller), connectBot(parley.baseUrl, callee)]);
		const thread = await befriend(a, b);
		a.close();
		b.close();
		const { rows, chromium } = await timeCalls({ baseUrl: parley.baseUrl, caller, callee, threadId: thread.id, calls: CALLS, log: (l) => console.log(`  ${l}`) });
		const side = (pick: (r: CallTiming) => number) => ({ p50Ms: Math.round(percentile(rows.map(pick), 0.5)), maxMs: Math.round(Math.max(...rows.map(pick))) });
		return {
			calls: rows.length,
			chromium,
			goalMs: GOAL_MS,
			caller: side((r) => r.callerMs),
			callee: side((r) => r.calleeMs),
			both: side((r) => r.bothMs),
			rows: rows.map((r) => ({ callerMs: Math.round(r.callerMs), calleeMs: Math.round(r.calleeMs), bothMs: Math.round(r.bothMs) }))
		};
	} finally {
		await parley.stop();
	}
}

async function main(): Promise<void> {
	const worker = findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN });
	if ('error' in worker) {
		console.error(`calls: ${worker.error}`);
		if (ci) process.exit(1);
		console.log('calls: skipped (no mediasoup worker; under CI=true this fails)');
		writeResults('calls', { scenario: 'calls', quick, skipped: worker.error, at: new Date().toISOString() });
		return;
	}
	const before = loadAverage();
	// SRTP first: every WebRTC consumer encrypts, so that is the figure to set against mediasoup's; plain RTP shows what forwarding alone costs.
	const capacities = [];
	for (const srtp of [true, false]) {
		const capacity = await workerCapacity(worker.path, srtp);
		capacities.push(capacity);
		console.log(
			`worker, ${srtp ? 'SRTP' : 'plain RTP'}: ${capacity.workerCoresPerConsumer ?? '?'} cores per consumer (ingest ${capacity.ingestCores}); ` +
				(capacity.saturatedAt === null ? 'not saturated' : `saturated at ${capacity.saturatedAt} (${capacity.saturatedBecause.join('; ')})`) +
				`; carried ${capacity.capacityMeasured} (${capacity.ratioMeasured} of ${PUBLISHED_PER_WORKER}), one core at ~${capacity.capacityExtrapolated ?? '?'} (${capacity.ratioExtrapolated ?? '?'} of ${PUBLISHED_PER_WORKER})\n`
		);
	}
	const middle = loadAverage();
	console.log(`accept → first decoded frame, ${CALLS} calls:`);
	const calls = await acceptToFrame();
	const after = loadAverage();
	const result = {
		scenario: 'calls',
		quick,
		machine: machine(),
		// Other work on the machine skews everything: the load average before, between and after says how much.
		loadAverage: { before, afterWorker: middle, after },
		at: new Date().toISOString(),
		worker: { bin: worker.path, mediasoup: worker.version, srtp: capacities[0], plain: capacities[1] },
		acceptToFirstFrame: calls
	};
	writeResults('calls', result);
	const verdict = (ms: number) => (ms < GOAL_MS ? 'within' : 'over');
	console.log(`| side | p50 ms | max ms | goal < ${GOAL_MS} ms |`);
	console.log('|---|---|---|---|');
	for (const [name, s] of [['caller', calls.caller], ['callee', calls.callee], ['both', calls.both]] as const) console.log(`| ${name} | ${s.p50Ms} | ${s.maxMs} | p50 ${verdict(s.p50Ms)}, max ${verdict(s.maxMs)} |`);
	console.log(`load average ${before} → ${middle} → ${after} (${os.cpus().length} cores)`);
}

await main();
