// An Opus audio sender in Node for the live viewers benchmark (bench/live-viewers.ts): RTP over UDP to
// a mediasoup PlainTransport, one packet every 20 ms as a browser's or ffmpeg's Opus encoder sends
// (50 a second, timestamp +960 at 48 kHz), each of `bitrate / 8 / 50` payload bytes. The payload starts
// with an Opus TOC byte (one 20-ms hybrid frame) so mediasoup's Opus parsing sees a plain, non-DTX
// packet; the rest is filler, never decoded. Paced like the video (rtp-generator.ts `paceFrames`).
import { randomBytes } from 'node:crypto';
import { connectedSocket, paceFrames } from './rtp-generator.js';

export interface OpusGeneratorOptions {
	host: string;
	port: number;
	payloadType: number;
	ssrc: number;
	/** Audio bitrate in bits per second (RTP payload). Default 40,000 (100-byte packets). */
	bitrate?: number;
}

export interface OpusGenerator {
	readonly packets: number;
	readonly bytes: number;
	/** Packets not sent because this process was late for their slot. */
	readonly skippedPackets: number;
	readonly payloadBytes: number;
	stop(): Promise<void>;
}

const PER_SECOND = 50;
/** TOC: config 15 (hybrid, fullband, 20 ms), mono, one frame. */
const TOC = 15 << 3;

export async function startOpusGenerator(options: OpusGeneratorOptions): Promise<OpusGenerator> {
	const payloadBytes = Math.max(2, Math.round((options.bitrate ?? 40_000) / 8 / PER_SECOND));
	const filler = randomBytes(payloadBytes);
	filler[0] = TOC;
	const socket = await connectedSocket(options.host, options.port);
	socket.on('message', () => undefined); // RTCP receiver reports from the SFU: nothing to do with them
	let seq = Math.floor(Math.random() * 0xffff);
	let timestamp = Math.floor(Math.random() * 0xffffffff);
	let packets = 0;
	let bytes = 0;
	const step = 48_000 / PER_SECOND;

	function send(): void {
		const packet = Buffer.allocUnsafe(12 + payloadBytes);
		packet[0] = 0x80;
		packet[1] = (packets === 0 ? 0x80 : 0) | options.payloadType; // marker on the first packet of a talkspurt
		packet.writeUInt16BE(seq, 2);
		packet.writeUInt32BE(timestamp >>> 0, 4);
		packet.writeUInt32BE(options.ssrc >>> 0, 8);
		filler.copy(packet, 12);
		socket.send(packet);
		seq = (seq + 1) & 0xffff;
		timestamp = (timestamp + step) >>> 0;
		packets++;
		bytes += packet.length;
	}

	const pacer = paceFrames(PER_SECOND, send, (n) => {
		timestamp = (timestamp + n * step) >>> 0;
	});
	return {
		get packets() {
			return packets;
		},
		get bytes() {
			return bytes;
		},
		get skippedPackets() {
			return pacer.skipped;
		},
		payloadBytes,
		stop: () => {
			pacer.stop();
			return new Promise<void>((resolve) => socket.close(() => resolve()));
		}
	};
}
