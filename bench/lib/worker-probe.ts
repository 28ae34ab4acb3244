// One mediasoup worker under a stepped fan-out load, for bench/calls.ts: a router with Parley's codecs,
// one VP8 producer on a PlainTransport (comedia: the transport learns the sender's address from its
// first packet) fed by rtp-generator.ts, and N consumers of it, each on a PlainTransport of its own
// (comedia off, connected to a socket of udp-sink.ts), as N people in calls would each have a transport.
// `measure` holds the load for a while and reads the worker's CPU from /proc/PID/stat, this process's
// own CPU (the generator and the sink run here, on the same cores), and how many of the packets the
// worker should have sent reached the sink.
import { createRequire } from 'node:module';
import os from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from '../../server/media/codecs.js';
import { cpuSeconds } from './procstat.js';
import { startRtpGenerator, type RtpGenerator } from './rtp-generator.js';
import { kernelDrops, startUdpSink, type UdpSink } from './udp-sink.js';

export interface WorkerProbeOptions {
	/** The mediasoup-worker binary (server/media/worker-bin.ts `findWorkerBinary`). */
	bin: string;
	fps?: number;
	bitrate?: number;
	packetBytes?: number;
}

export interface StepMeasure {
	consumers: number;
	seconds: number;
	/** The worker's CPU over the window, in cores (1 = one core busy all the time). */
	workerCores: number;
	/** This process's CPU (generator, sink, mediasoup's Node side), in cores. */
	benchCores: number;
	/** RTP packets the generator sent in the window. */
	sent: number;
	/** RTP packets the sink received in the window. */
	received: number;
	/** received / (sent × consumers); 1 when nothing is lost (null with no consumers). */
	forwarded: number | null;
	/** UDP datagrams the kernel dropped for a full receive buffer, system-wide, in the window (null off Linux). */
	kernelDrops: number | null;
	/** The load average (1 minute) at the end of the window. */
	loadAverage: number;
}

export interface WorkerProbe {
	pid: number;
	readonly consumers: number;
	generator: RtpGenerator;
	/** Adds consumers until there are `total`. */
	grow(total: number): Promise<void>;
	measure(ms: number): Promise<StepMeasure>;
	close(): Promise<void>;
}

const SSRC = 0x5a4e1e;
const PAYLOAD_TYPE = 96;

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
		sink = await startUdpSink();
		generator = await startRtpGenerator({ host: '127.0.0.1', port: ingress.tuple.localPort, payloadType: PAYLOAD_TYPE, ssrc: SSRC, fps: options.fps, bitrate: options.bitrate, packetBytes: options.packetBytes });
		const transports: types.PlainTransport[] = [];
		const s = sink;
		const g = generator;

		return {
			pid: worker.pid,
			get consumers() {
				return transports.length;
			},
			generator: g,
			async grow(total) {
				while (transports.length < total) {
					const transport = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
					await transport.connect({ ip: '127.0.0.1', port: s.ports[transports.length % s.ports.length] });
					await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
					transports.push(transport);
				}
			},
			async measure(ms) {
				const n = transports.length;
				const start = { at: performance.now(), worker: cpuSeconds(worker.pid), bench: process.cpuUsage(), sent: g.packets, received: s.rtp, drops: kernelDrops() };
				await new Promise((resolve) => setTimeout(resolve, ms));
				const seconds = (performance.now() - start.at) / 1000;
				const bench = process.cpuUsage(start.bench);
				const sent = g.packets - start.sent;
				const received = s.rtp - start.received;
				const drops = kernelDrops();
				return {
					consumers: n,
					seconds,
					workerCores: (cpuSeconds(worker.pid) - start.worker) / seconds,
					benchCores: (bench.user + bench.system) / 1e6 / seconds,
					sent,
					received,
					forwarded: n > 0 && sent > 0 ? received / (sent * n) : null,
					kernelDrops: drops === null || start.drops === null ? null : drops - start.drops,
					loadAverage: Math.round(os.loadavg()[0] * 100) / 100
				};
			},
			async close() {
				await g.stop();
				await s.stop();
				worker.close();
			}
		};
	} catch (error) {
		await generator?.stop();
		await sink?.stop();
		worker.close();
		throw error;
	}
}
