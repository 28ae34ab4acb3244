// A VP8 video sender in Node for the SFU benchmark (bench/calls.ts): RTP over UDP to a mediasoup
// PlainTransport, as a camera's encoder would pace it. Each frame is split into packets of at most
// `packetBytes` payload, all with the frame's timestamp, the last one with the marker bit. The payload
// starts with the VP8 payload descriptor Chrome sends (RFC 7741: X, I with a 15-bit picture id, L with
// TL0PICIDX, T with temporal layer 0 and Y), and the first packet of a frame with a VP8 frame tag (and
// for a key frame the start code and size), which is all mediasoup reads: it parses the descriptor
// to tell key frames and rewrites picture ids per consumer. The rest is filler, never decoded.
// A key frame goes out every `keyFrameEvery` frames and on the next frame after a PLI or FIR. Each
// packet carries its number (from 0) in the filler, at INDEX_IN_PAYLOAD, for udp-sink.ts.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface RtpGeneratorOptions {
	/** Where the PlainTransport listens. */
	host: string;
	port: number;
	payloadType: number;
	ssrc: number;
	/** Frames per second. Default 30. */
	fps?: number;
	/** Video bitrate in bits per second (RTP payload). Default 500,000. */
	bitrate?: number;
	/** Largest RTP payload. Default 1,200 bytes. */
	packetBytes?: number;
	/** A key frame every this many frames. Default 30 (one a second at 30 fps). */
	keyFrameEvery?: number;
}

export interface RtpGenerator {
	/** RTP packets sent so far. */
	readonly packets: number;
	readonly frames: number;
	readonly bytes: number;
	/** Key frame requests (PLI, FIR) received from the SFU. */
	readonly keyFrameRequests: number;
	/** Frames not sent because this process was late for their slot (a live encoder drops them too). */
	readonly skippedFrames: number;
	/** Packets in one frame (every frame is the same size). */
	readonly packetsPerFrame: number;
	stop(): Promise<void>;
}

const DESCRIPTOR = 6; // X|S|PID, I|L|T, picture id (2), TL0PICIDX, TID|Y|KEYIDX
/** Where in the RTP payload each packet carries its number (after the descriptor and a key frame's 10 header bytes). */
export const INDEX_IN_PAYLOAD = DESCRIPTOR + 10;
const INDEX_AT = 12 + INDEX_IN_PAYLOAD;

function isKeyFrameRequest(msg: Buffer): boolean {
	// Compound RTCP: walk the packets; PSFB (206) with FMT 1 is a PLI, FMT 4 a FIR.
	for (let at = 0; at + 4 <= msg.length; ) {
		const fmt = msg[at] & 0x1f;
		const pt = msg[at + 1];
		if (pt === 206 && (fmt === 1 || fmt === 4)) return true;
		at += (msg.readUInt16BE(at + 2) + 1) * 4;
	}
	return false;
}

/** RTCP rather than RTP on a muxed port (RFC 5761: second byte 192-223). */
export const isRtcp = (msg: Buffer) => msg.length >= 8 && msg[1] >= 192 && msg[1] <= 223;

/** A UDP socket on loopback, connected to where the PlainTransport listens. */
export async function connectedSocket(host: string, port: number): Promise<dgram.Socket> {
	const socket = dgram.createSocket('udp4');
	await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(0, '127.0.0.1', () => resolve()));
	socket.connect(port, host);
	await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
	return socket;
}

/**
 * Calls `send` `perSecond` times a second, paced by the clock, not by the timer. A late tick sends
 * only the newest slot it owes and skips the older ones (`skip(n)` first, to advance the RTP clock),
 * as a live encoder drops frames when it falls behind; sending them all at once would be a burst no
 * camera or microphone makes (this process's event loop also serves the sink, and stalls).
 */
export function paceFrames(perSecond: number, send: () => void, skip: (n: number) => void): { readonly skipped: number; stop(): void } {
	const start = performance.now();
	let slot = 0;
	let skipped = 0;
	const timer = setInterval(() => {
		const due = Math.floor(((performance.now() - start) / 1000) * perSecond) + 1;
		if (due - slot > 1) {
			const n = due - 1 - slot;
			skipped += n;
			skip(n);
			slot = due - 1;
		}
		if (slot < due) {
			send();
			slot++;
		}
	}, 1000 / perSecond / 2);
	return {
		get skipped() {
			return skipped;
		},
		stop: () => clearInterval(timer)
	};
}

export async function startRtpGenerator(options: RtpGeneratorOptions): Promise<RtpGenerator> {
	const fps = options.fps ?? 30;
	const frameBytes = Math.round((options.bitrate ?? 500_000) / 8 / fps);
	const maxPayload = options.packetBytes ?? 1200;
	const perPacket = maxPayload - DESCRIPTOR;
	if (frameBytes % perPacket !== 0 && frameBytes % perPacket < 14) throw new Error('a frame would end in a packet too small for its number');
	const packetsPerFrame = Math.ceil(frameBytes / perPacket);
	const keyFrameEvery = options.keyFrameEvery ?? 30;
	const filler = randomBytes(maxPayload);

	const socket = await connectedSocket(options.host, options.port);

	let seq = Math.floor(Math.random() * 0xffff);
	let timestamp = Math.floor(Math.random() * 0xffffffff);
	let pictureId = Math.floor(Math.random() * 0x7fff);
	let tl0 = 0;
	let frames = 0;
	let packets = 0;
	let bytes = 0;
	let keyFrameRequests = 0;
	let keyFrameWanted = true;

	socket.on('message', (msg) => {
		if (isRtcp(msg) && isKeyFrameRequest(msg)) {
			keyFrameRequests++;
			keyFrameWanted = true;
		}
	});

	function sendFrame(): void {
		const key = keyFrameWanted || frames % keyFrameEvery === 0;
		keyFrameWanted = false;
		let left = frameBytes;
		for (let i = 0; i < packetsPerFrame; i++) {
			const size = Math.min(perPacket, left);
			left -= size;
			const last = i === packetsPerFrame - 1;
			const packet = Buffer.allocUnsafe(12 + DESCRIPTOR + size);
			packet[0] = 0x80; // V=2, no padding, no extension, no CSRC
			packet[1] = (last ? 0x80 : 0) | options.payloadType;
			packet.writeUInt16BE(seq, 2);
			packet.writeUInt32BE(timestamp >>> 0, 4);
			packet.writeUInt32BE(options.ssrc >>> 0, 8);
			packet[12] = 0x80 | (i === 0 ? 0x10 : 0); // X, S on the frame's first packet, partition 0
			packet[13] = 0x80 | 0x40 | 0x20; // I, L, T
			packet.writeUInt16BE(0x8000 | pictureId, 14);
			packet[16] = tl0;
			packet[17] = 0x20; // TID 0, Y
			filler.copy(packet, 18, 0, size);
			// The packet's number, where the VP8 headers end (mediasoup leaves the payload alone): the sink
			// tells which packets of a measuring window reached it, however late.
			packet.writeUInt32BE(packets >>> 0, INDEX_AT);
			if (i === 0) {
				// VP8 frame tag: bit 0 inverse key frame, bits 1-3 version 0, bit 4 show frame, then the first partition's size.
				const tag = (key ? 0 : 1) | 0x10 | (Math.min(frameBytes, 0x7ffff) << 5);
				packet[18] = tag & 0xff;
				packet[19] = (tag >> 8) & 0xff;
				packet[20] = (tag >> 16) & 0xff;
				if (key) {
					packet.set([0x9d, 0x01, 0x2a], 21);
					packet.writeUInt16LE(640, 24);
					packet.writeUInt16LE(480, 26);
				}
			}
			socket.send(packet);
			seq = (seq + 1) & 0xffff;
			packets++;
			bytes += packet.length;
		}
		frames++;
		timestamp = (timestamp + 90_000 / fps) >>> 0;
		pictureId = (pictureId + 1) & 0x7fff;
		tl0 = (tl0 + 1) & 0xff;
	}

	const pacer = paceFrames(fps, sendFrame, (skip) => {
		timestamp = (timestamp + skip * (90_000 / fps)) >>> 0;
	});

	return {
		get packets() {
			return packets;
		},
		get frames() {
			return frames;
		},
		get bytes() {
			return bytes;
		},
		get keyFrameRequests() {
			return keyFrameRequests;
		},
		get skippedFrames() {
			return pacer.skipped;
		},
		packetsPerFrame,
		stop: () => {
			pacer.stop();
			return new Promise<void>((resolve) => socket.close(() => resolve()));
		}
	};
}
