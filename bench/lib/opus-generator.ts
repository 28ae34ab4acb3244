// An Opus audio sender in Node for the live viewers benchmark (bench/live-viewers.ts): RTP over UDP to
// a mediasoup PlainTransport, one packet every `frameMs`: 20 as a browser's Opus encoder sends (50 a
// second, timestamp +960 at 48 kHz), or 60 as the RTMP ingest's ffmpeg does (server/media/rtmp/ffmpeg.ts
// OPUS_FRAME_MS: 16.7 a second, +2,880), each of about `bitrate / 8` bytes a second of payload. The
// payload starts as an Opus packet does (RFC 6716 section 3.1), so mediasoup's Opus parsing sees a
// plain, non-DTX packet: 20 ms, one 20-ms hybrid frame (TOC config 15, code 0); 60 ms, as the ingest's
// libopus makes them, three 20-ms CELT fullband frames of equal size (config 31, code 3, constant
// bitrate; no configuration but SILK's has a 60-ms frame). The rest is filler, never decoded. Paced
// like the video (rtp-generator.ts `paceFrames`).
import { randomBytes } from 'node:crypto';
import { connectedSocket, paceFrames } from './rtp-generator.js';

export interface OpusGeneratorOptions {
	host: string;
	port: number;
	payloadType: number;
	ssrc: number;
	/** Audio bitrate in bits per second (RTP payload). Default 40,000 (100-byte packets at 20 ms). */
	bitrate?: number;
	/** Audio per packet, in ms: 20 or 60. Default 20. */
	frameMs?: AudioFrameMs;
}

export type AudioFrameMs = 20 | 60;

export interface OpusGenerator {
	readonly packets: number;
	readonly bytes: number;
	/** Packets not sent because this process was late for their slot. */
	readonly skippedPackets: number;
	readonly payloadBytes: number;
	stop(): Promise<void>;
}

/**
 * The payload's first bytes and its size (at least `bytes`, made to fit them): 20 ms, TOC config 15
 * (hybrid, fullband, 20 ms), mono, one frame; 60 ms, config 31 (CELT, fullband, 20 ms), stereo,
 * code 3, then the frame count byte (constant size, no padding, 3 frames), the rest split evenly.
 */
function opusHeader(frameMs: AudioFrameMs, bytes: number): { header: number[]; payloadBytes: number } {
	if (frameMs === 20) return { header: [15 << 3], payloadBytes: Math.max(2, bytes) };
	return { header: [(31 << 3) | 4 | 3, 3], payloadBytes: 2 + 3 * Math.max(1, Math.ceil((bytes - 2) / 3)) };
}

export async function startOpusGenerator(options: OpusGeneratorOptions): Promise<OpusGenerator> {
	const frameMs = options.frameMs ?? 20;
	const perSecond = 1000 / frameMs;
	const { header, payloadBytes } = opusHeader(frameMs, Math.round((options.bitrate ?? 40_000) / 8 / perSecond));
	const filler = randomBytes(payloadBytes);
	filler.set(header, 0);
	const socket = await connectedSocket(options.host, options.port);
	socket.on('message', () => undefined); // RTCP receiver reports from the SFU: nothing to do with them
	let seq = Math.floor(Math.random() * 0xffff);
	let timestamp = Math.floor(Math.random() * 0xffffffff);
	let packets = 0;
	let bytes = 0;
	const step = 48 * frameMs;

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

	const pacer = paceFrames(perSecond, send, (n) => {
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
