// One mediasoup worker under a stepped fan-out load, for bench/calls.ts and bench/live-viewers.ts: a
// router with Parley's codecs, one VP8 producer on a PlainTransport (comedia: the transport learns the
// sender's address from its first packet) fed by rtp-generator.ts, with `audio` also an Opus producer
// on a second one (as the RTMP ingest feeds a live stream) fed by opus-generator.ts, and N consumers of
// them, each on a PlainTransport of its own (comedia off, connected to a socket of udp-sink.ts), as N
// people in calls, or N viewers of a stream, would each have a transport: one consumer per producer.
// `measure` holds the load for a while and reads the worker's CPU from /proc/PID/stat, this process's
// own CPU (the generator and the sink run here, on the same cores), and how many of the packets the
// worker should have sent reached the sink.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from '../../server/media/codecs.js';
import { clockTicks, cpuSeconds } from './procstat.js';
import { startOpusGenerator, type AudioFrameMs, type OpusGenerator } from './opus-generator.js';
import { startRtpGenerator, type RtpGenerator } from './rtp-generator.js';
import { socketDrops, socketState, startUdpSink, type UdpSink } from './udp-sink.js';

export interface WorkerProbeOptions {
	/** The mediasoup-worker binary (server/media/worker-bin.ts `findWorkerBinary`). */
	bin: string;
	fps?: number;
	bitrate?: number;
	packetBytes?: number;
	/**
	 * SRTP on the consumers' transports (AES_CM_128_HMAC_SHA1_80), as every WebRTC consumer is
	 * encrypted; off, the worker only forwards. Default false.
	 */
	srtp?: boolean;
	/**
	 * An Opus producer too (bitrate in bits per second, `frameMs` of audio a packet: opus-generator.ts),
	 * consumed on each consumer's transport beside the video.
	 */
	audio?: { bitrate: number; frameMs?: AudioFrameMs };
}

export interface StepMeasure {
	consumers: number;
	seconds: number;
	/** The worker's CPU over the window, in cores (1 = one core busy all the time). */
	workerCores: number;
	/** This process's CPU (generator, sink, mediasoup's Node side), in cores. */
	benchCores: number;
	/** RTP packets the generators sent in the window (video and audio). */
	sent: number;
	/** Of those, copies the sink received, up to `drainMs` after the window (however late within that). */
	received: number;
	/** Video only: received / (sent × consumers); 1 when nothing is lost (null with no consumers, or with SRTP). */
	forwarded: number | null;
	/** By sequence numbers: received / the span they cover, all consumers (loss only, lateness not seen). */
	delivered: number | null;
	/**
	 * By arrival: packets that reached the sink during the window / (sent × consumers), whichever packets
	 * they were. A steady delay does not lower it, a worker falling further behind does; the only ratio
	 * that sees lateness under SRTP. Noisier than `forwarded`: a stall at either edge of the window counts.
	 */
	throughput: number | null;
	/** Every process on the machine over the window, in cores (/proc/stat): the worker's neighbours. */
	machineCores: number;
	/** Datagrams the kernel dropped for a full receive buffer on the sink's sockets in the window (the sink's loss; null off Linux). */
	sinkDrops: number | null;
	/** The same on the worker's ingress socket: producer packets it did not read in time, each lost to every consumer. */
	ingressDrops: number | null;
	/** Bytes waiting in the sink's receive queues as the window closed: the sink (this process) behind. */
	sinkQueuedBytes: number | null;
	/** Bytes waiting in the worker's ingress queue as the window closed: the worker behind its producer. */
	ingressQueuedBytes: number | null;
	/** Frames (and audio packets) the generators skipped in the window, late for their slot (this process stalled). */
	skippedFrames: number;
	/** The load average (1 minute) at the end of the window. */
	loadAverage: number;
}

export interface WorkerProbe {
	pid: number;
	readonly consumers: number;
	generator: RtpGenerator;
	audio: OpusGenerator | undefined;
	/** Adds consumers until there are `total`, or until `deadline` (performance.now()) passes; returns how many there are. */
	grow(total: number, deadline?: number): Promise<number>;
	/** Holds the load `ms`, then waits `drainMs` for the window's last packets. */
	measure(ms: number, drainMs?: number): Promise<StepMeasure>;
	close(): Promise<void>;
}

const SSRC = 0x5a4e1e;
const SUITE = 'AES_CM_128_HMAC_SHA1_80' as const;
const PAYLOAD_TYPE = 96;
const AUDIO_SSRC = 0x5a4e1f;
const AUDIO_PAYLOAD_TYPE = 100;

/** Busy CPU seconds of the whole machine so far: the first line of /proc/stat less idle and iowait. */
function machineBusySeconds(): number {
	const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
	const ticks = fields.slice(0, 8).map(Number);
	return (ticks.reduce((a, b) => a + b, 0) - ticks[3] - ticks[4]) / clockTicks();
}

let binSet = false;
function useBinary(bin: string): void {
	// mediasoup reads MEDIASOUP_WORKER_BIN when it loads; server/media/workers.ts sets it on the module the same way.
	if (binSet) return;
	const require = createRequire(import.meta.url);
	(require('mediasoup/node/lib/Worker.js') as { workerBin: string }).workerBin = bin;
	binSet = true;
}

export async function startWorkerProbe(options: WorkerProbeOptions): Promise<WorkerProbe> {
	useBinary(options.bin);
	const worker = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 20000, rtcMaxPort: 29999 });
	let sink: UdpSink | undefined;
	let generator: RtpGenerator | undefined;
	let audio: OpusGenerator | undefined;
	try {
		const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
		const ingress = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
		const producer = await ingress.produce({
			kind: 'video',
			rtpParameters: {
				codecs: [
					{
						mimeType: 'video/VP8',
						payloadType: PAYLOAD_TYPE,
						clockRate: 90000,
						rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }]
					}
				],
				encodings: [{ ssrc: SSRC }]
			}
		});
		const srtp = options.srtp ?? false;
		const ingressPorts = [ingress.tuple.localPort];
		sink = await startUdpSink(!srtp);
		generator = await startRtpGenerator({ host: '127.0.0.1', port: ingress.tuple.localPort, payloadType: PAYLOAD_TYPE, ssrc: SSRC, fps: options.fps, bitrate: options.bitrate, packetBytes: options.packetBytes });
		const producers = [producer];
		if (options.audio) {
			// A transport of its own, as the RTMP ingest's: comedia locks onto the first sender's address.
			const audioIngress = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
			producers.push(
				await audioIngress.produce({
					kind: 'audio',
					rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PAYLOAD_TYPE, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: AUDIO_SSRC }] }
				})
			);
			ingressPorts.push(audioIngress.tuple.localPort);
			audio = await startOpusGenerator({ host: '127.0.0.1', port: audioIngress.tuple.localPort, payloadType: AUDIO_PAYLOAD_TYPE, ssrc: AUDIO_SSRC, bitrate: options.audio.bitrate, frameMs: options.audio.frameMs });
		}
		const transports: types.PlainTransport[] = [];
		const s = sink;
		const g = generator;
		const a = audio;
		const packetsSent = () => g.packets + (a?.packets ?? 0);
		const skippedSoFar = () => g.skippedFrames + (a?.skippedPackets ?? 0);

		return {
			pid: worker.pid,
			get consumers() {
				return transports.length;
			},
			generator: g,
			audio: a,
			async grow(total, deadline = Infinity) {
				while (transports.length < total && performance.now() < deadline) {
					const transport = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: true, comedia: false, enableSrtp: srtp, srtpCryptoSuite: SUITE });
					// The sink's own key (it never decrypts: it only counts headers, which SRTP leaves in the clear).
					const srtpParameters = srtp ? { cryptoSuite: SUITE, keyBase64: randomBytes(30).toString('base64') } : undefined;
					await transport.connect({ ip: '127.0.0.1', port: s.ports[transports.length % s.ports.length], srtpParameters });
					for (const p of producers) {
						const consumer = await transport.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities });
						const pt = consumer.rtpParameters.codecs[0].payloadType;
						if (p.kind === 'video') s.payloadType = pt;
						else if (!s.alsoCount.includes(pt)) s.alsoCount.push(pt);
					}
					transports.push(transport);
				}
				return transports.length;
			},
			async measure(ms, drainMs = 500) {
				const n = transports.length;
				const start = { at: performance.now(), worker: cpuSeconds(worker.pid), bench: process.cpuUsage(), machine: machineBusySeconds(), sent: g.packets, all: packetsSent(), skipped: skippedSoFar(), sink: socketDrops(s.ports), ingress: socketDrops(ingressPorts) };
				s.openWindow(start.sent);
				const arrivedBefore = s.rtp;
				await new Promise((resolve) => setTimeout(resolve, ms));
				const end = g.packets;
				const endAll = packetsSent();
				s.closeWindow(end);
				const arrived = s.rtp - arrivedBefore;
				const queued = { sink: socketState(s.ports)?.queuedBytes ?? null, ingress: socketState(ingressPorts)?.queuedBytes ?? null };
				// By sequence numbers lateness is not seen anyway: read them now, without the drain.
				const seq = s.sequenced();
				const seconds = (performance.now() - start.at) / 1000;
				const workerCores = (cpuSeconds(worker.pid) - start.worker) / seconds;
				const bench = process.cpuUsage(start.bench);
				const machineCores = (machineBusySeconds() - start.machine) / seconds;
				await new Promise((resolve) => setTimeout(resolve, drainMs));
				const sent = end - start.sent;
				const sentAll = endAll - start.all;
				// By packet number where every packet carries one (plain RTP, video only), else by sequence numbers.
				const received = srtp || a ? seq.received : s.inWindow;
				const sinkDrops = socketDrops(s.ports);
				const ingressDrops = socketDrops(ingressPorts);
				return {
					consumers: n,
					seconds,
					workerCores,
					benchCores: (bench.user + bench.system) / 1e6 / seconds,
					machineCores,
					sent: sentAll,
					received,
					forwarded: !srtp && n > 0 && sent > 0 ? s.inWindow / (sent * n) : null,
					delivered: n > 0 && seq.expected > 0 ? seq.received / seq.expected : null,
					throughput: n > 0 && sentAll > 0 ? arrived / (sentAll * n) : null,
					sinkDrops: sinkDrops === null || start.sink === null ? null : sinkDrops - start.sink,
					ingressDrops: ingressDrops === null || start.ingress === null ? null : ingressDrops - start.ingress,
					sinkQueuedBytes: queued.sink,
					ingressQueuedBytes: queued.ingress,
					skippedFrames: skippedSoFar() - start.skipped,
					loadAverage: Math.round(os.loadavg()[0] * 100) / 100
				};
			},
			async close() {
				await a?.stop();
				await g.stop();
				await s.stop();
				worker.close();
			}
		};
	} catch (error) {
		await audio?.stop();
		await generator?.stop();
		await sink?.stop();
		worker.close();
		throw error;
	}
}
