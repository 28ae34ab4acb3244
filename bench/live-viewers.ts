// Live streams (issue 14): how many viewers one mediasoup worker carries until its CPU saturates.
// A stream is what the RTMP ingest puts on a worker's router (server/media/rtmp/rtp-producers.ts): a
// video producer and an Opus audio producer, each on a PlainTransport of its own (comedia). Here they
// are fed by RTP generators in this process (bench/lib/rtp-generator.ts: VP8 at 30 fps, ~500 kbit/s in
// packets of ~1,200 bytes, as bench/calls.ts; bench/lib/opus-generator.ts: Opus at 40 kbit/s in 60-ms
// packets, 16.7 a second, as the RTMP ingest's ffmpeg sends them (server/media/rtmp/ffmpeg.ts
// OPUS_FRAME_MS), or with --audio-frame-ms=20 in 20-ms ones, 50 a second, as the ingest sent before
// and a browser's encoder sends: the worker's cost is per packet, ~77 a viewer a second at 60 ms
// against 110 at 20).
// A viewer is what the live side gives each watching page: one transport with a video and an audio
// consumer of the stream. In a browser that transport is a WebRtcTransport (DTLS-SRTP); here it is a
// PlainTransport with SRTP (AES_CM_128_HMAC_SHA1_80) sending to UDP sockets in this process
// (bench/lib/udp-sink.ts), as bench/calls.ts measures its consumers: no DTLS or ICE client exists in
// Node, and both are set up once per transport while the per-packet work (SRTP encryption, one copy
// per consumer) is the same. The viewers are stepped up (bench/lib/worker-ramp.ts, calls' rule: the
// worker at 0.95 of a core or delivering less than 0.95 saturates it); reported: worker cores per
// viewer (the fitted slope), viewers carried below saturation, viewers at one full core (the fit
// extrapolated) and both against issue 14's goal of 500 viewers per worker.
// Writes bench/results/live-viewers.json. Never fails on timing; without a mediasoup worker it says so
// and exits 0, except under CI=true where that is a failure.
//
//   npm run bench -- live-viewers [--quick] [--audio-frame-ms=20|60]
//                                     (quick: 0/10/25 viewers held 1.5 s, well under a minute; default 60)
import os from 'node:os';
import { OPUS_FRAME_MS } from '../server/media/rtmp/ffmpeg.js';
import { findWorkerBinary } from '../server/media/worker-bin.js';
import { loadAverage, machine, writeResults } from './lib/machine.js';
import { startWorkerProbe, type StepMeasure } from './lib/worker-probe.js';
import { capacityOf, rampWorker } from './lib/worker-ramp.js';

const quick = process.argv.includes('--quick');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const audioFrameMs = ([20, 60] as const).find((ms) => ms === Number(flag('audio-frame-ms') ?? OPUS_FRAME_MS));
if (audioFrameMs === undefined) throw new Error(`--audio-frame-ms: 20 or 60, not ${flag('audio-frame-ms')}`);
const ci = process.env.CI === 'true' || process.env.CI === '1';
const STEPS = quick ? [0, 10, 25] : [0, 25, 50, 100, 150, 200, 250, 300, 400, 500, 600, 800];
const HOLD_MS = quick ? 1_500 : 5_000;
const SETTLE_MS = quick ? 1_000 : 2_000;
const GROW_LIMIT_MS = quick ? 20_000 : 60_000;
const GOAL_VIEWERS = 500;
const VIDEO = { fps: 30, bitrate: 500_000, packetBytes: 1_200 };
const AUDIO = { bitrate: 40_000, frameMs: audioFrameMs };

const overall = setTimeout(
	() => {
		console.error(`live-viewers: still running after ${quick ? 2 : 15} minutes; giving up`);
		process.exit(1);
	},
	(quick ? 2 : 15) * 60_000
);
overall.unref();

async function main(): Promise<void> {
	const worker = findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN });
	if ('error' in worker) {
		console.error(`live-viewers: ${worker.error}`);
		if (ci) process.exit(1);
		console.log('live-viewers: skipped (no mediasoup worker; under CI=true this fails)');
		writeResults('live-viewers', { scenario: 'live-viewers', quick, skipped: worker.error, at: new Date().toISOString() });
		return;
	}
	const before = loadAverage();
	const probe = await startWorkerProbe({ bin: worker.path, srtp: true, ...VIDEO, audio: AUDIO });
	let steps: StepMeasure[];
	const packets = { videoPerSecond: VIDEO.fps * probe.generator.packetsPerFrame, audioPerSecond: Math.round((1000 / AUDIO.frameMs) * 10) / 10, audioPayloadBytes: probe.audio?.payloadBytes };
	try {
		console.log(
			`live viewers: one mediasoup worker (pid ${probe.pid}); the stream: VP8 ${VIDEO.fps} fps, ${VIDEO.bitrate / 1000} kbit/s (${packets.videoPerSecond} packets/s) + Opus ${AUDIO.bitrate / 1000} kbit/s in ${AUDIO.frameMs}-ms packets (${packets.audioPerSecond} packets/s); ` +
				`a viewer: one SRTP transport with a video and an audio consumer; steps held ${HOLD_MS / 1000} s`
		);
		steps = await rampWorker(probe, { steps: STEPS, holdMs: HOLD_MS, settleMs: SETTLE_MS, growLimitMs: GROW_LIMIT_MS, unit: 'viewers' });
	} finally {
		await probe.close();
	}
	const c = capacityOf(steps, GOAL_VIEWERS);
	const after = loadAverage();
	const perViewer = c.workerCoresPerConsumer;
	const result = {
		scenario: 'live-viewers',
		quick,
		machine: machine(),
		loadAverage: { before, after },
		at: new Date().toISOString(),
		worker: { bin: worker.path, mediasoup: worker.version },
		stream: { video: { ...VIDEO, codec: 'VP8', packetsPerFrame: probe.generator.packetsPerFrame, keyFrameEverySeconds: 1 }, audio: { bitrate: AUDIO.bitrate, codec: 'opus', ptimeMs: AUDIO.frameMs, packetsPerSecond: packets.audioPerSecond, payloadBytes: packets.audioPayloadBytes } },
		viewer: { transport: 'PlainTransport, SRTP AES_CM_128_HMAC_SHA1_80 (the per-packet work of a WebRtcTransport; no DTLS/ICE)', consumers: ['video', 'audio'] },
		/** Audio per Opus packet (--audio-frame-ms): 60 as the RTMP ingest sends, 20 as it sent before (and browsers send). */
		audioFrameMs: AUDIO.frameMs,
		holdSeconds: HOLD_MS / 1000,
		goal: { viewersPerWorker: GOAL_VIEWERS, fps: VIDEO.fps },
		// In the steps and below, "consumers" counts viewers: transports of one video and one audio consumer each.
		...c,
		workerCoresPerViewer: perViewer,
		/** Per forwarded packet (video and audio alike), in µs of worker CPU: the fitted slope over the packets a viewer gets a second. */
		workerMicrosecondsPerPacket: perViewer === null ? null : Math.round((perViewer / (packets.videoPerSecond + packets.audioPerSecond)) * 1e6 * 10) / 10,
		viewersCarried: c.capacityMeasured,
		viewersAtOneCore: c.capacityExtrapolated
	};
	writeResults('live-viewers', result);
	console.log(
		`live viewers: ${perViewer ?? '?'} worker cores per viewer (ingest ${c.ingestCores}); ` +
			(c.saturatedAt === null ? 'not saturated' : `saturated at ${c.saturatedAt} (${c.saturatedBecause.join('; ')})`) +
			`; carried ${c.capacityMeasured} (${c.ratioMeasured} of the goal ${GOAL_VIEWERS}), one core at ~${c.capacityExtrapolated ?? '?'} (${c.ratioExtrapolated ?? '?'} of ${GOAL_VIEWERS})`
	);
	console.log(`load average ${before} → ${after} (${os.cpus().length} cores)`);
}

await main();
