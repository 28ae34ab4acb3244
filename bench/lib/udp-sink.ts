// The receiving end of the SFU benchmark (bench/calls.ts): UDP sockets on loopback that every
// consumer's PlainTransport sends to (comedia off, connected to one of them), counting RTP packets and
// dropping them. RTCP on the same port (RFC 5761: second byte 192-223) is counted apart, and so are
// packets of another payload type (RTX). Several sockets, so no single kernel receive queue is the
// bottleneck; consumers are spread over them.
// A window counts the packets whose number (rtp-generator.ts writes it into the payload) lies in the
// generator's range for that window, whenever they arrive: a worker that runs late is not counted as
// losing packets, one that drops them is. `socketDrops()` reads what the kernel threw away for a full
// receive buffer, per socket (/proc/net/udp): on the sink's sockets that is the sink's loss, not the
// SFU's; on the worker's ingress socket it is the worker not reading its producer in time. With SRTP the payload is encrypted and no number can be read:
// then only the sequence numbers (the header is in the clear) tell loss: per consumer's SSRC, the
// packets received in the window against the span of sequence numbers they cover (late is not lost).
import dgram from 'node:dgram';
import fs from 'node:fs';
import { INDEX_IN_PAYLOAD, isRtcp } from './rtp-generator.js';

export interface UdpSink {
	/** The ports, one per socket. */
	ports: number[];
	/** Only RTP of this payload type counts (the consumers' VP8); set it before the first window. */
	payloadType: number;
	/** Payload types counted besides it, by sequence numbers only (a viewer's Opus: no packet numbers). */
	alsoCount: number[];
	/** RTP packets received so far, all sockets. */
	readonly rtp: number;
	readonly rtcp: number;
	/** Starts counting the packets numbered `from` and up. */
	openWindow(from: number): void;
	/** Stops the window at `to` (exclusive): later-numbered packets no longer count. */
	closeWindow(to: number): void;
	/** Packets of the window received so far (numbered packets only: not with SRTP). */
	readonly inWindow: number;
	/** Since the window opened, by sequence number: packets received and the span they cover, all consumers. */
	sequenced(): { received: number; expected: number };
	stop(): Promise<void>;
}

/** `numbered`: read the generator's packet numbers from the payload (false when it is encrypted). */
export async function startUdpSink(numbered = true, sockets = 4, receiveBufferBytes = 8 * 1024 * 1024): Promise<UdpSink> {
	let rtp = 0;
	let rtcp = 0;
	let from = Infinity;
	let to = Infinity;
	let inWindow = 0;
	const open: dgram.Socket[] = [];
	// Per SSRC: packets received and the highest extended sequence number, now and when the window opened.
	const streams = new Map<number, { count: number; top: number; count0: number; top0: number }>();
	const sink = {
		ports: [] as number[],
		payloadType: -1,
		alsoCount: [] as number[],
		get rtp() {
			return rtp;
		},
		get rtcp() {
			return rtcp;
		},
		openWindow(start: number) {
			from = start;
			to = Infinity;
			inWindow = 0;
			for (const st of streams.values()) {
				st.count0 = st.count;
				st.top0 = st.top;
			}
		},
		sequenced() {
			let received = 0;
			let expected = 0;
			for (const st of streams.values()) {
				if (st.top0 < 0) continue; // a stream that began inside the window
				received += st.count - st.count0;
				expected += st.top - st.top0;
			}
			return { received, expected };
		},
		closeWindow(end: number) {
			to = end;
		},
		get inWindow() {
			return inWindow;
		},
		stop: async () => {
			await Promise.all(open.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
		}
	};
	const onMessage = (msg: Buffer) => {
		if (msg.length < 12) return;
		if (isRtcp(msg)) {
			rtcp++;
			return;
		}
		const pt = msg[1] & 0x7f;
		if (pt !== sink.payloadType && !sink.alsoCount.includes(pt)) return;
		rtp++;
		const ssrc = msg.readUInt32BE(8);
		const seq = msg.readUInt16BE(2);
		let st = streams.get(ssrc);
		if (!st) streams.set(ssrc, (st = { count: 0, top: seq, count0: 0, top0: -1 }));
		else {
			// Extend the 16-bit number: the value nearest the highest seen.
			const ext = st.top + (((seq - st.top + 0x8000) & 0xffff) - 0x8000);
			if (ext > st.top) st.top = ext;
		}
		st.count++;
		if (!numbered || pt !== sink.payloadType) return;
		// Skip the header: CSRCs, then the extension block (mediasoup adds mid, abs-send-time, …).
		let at = 12 + (msg[0] & 0x0f) * 4;
		if (msg[0] & 0x10 && at + 4 <= msg.length) at += 4 + msg.readUInt16BE(at + 2) * 4;
		at += INDEX_IN_PAYLOAD;
		if (at + 4 > msg.length) return;
		const n = msg.readUInt32BE(at);
		if (n >= from && n < to) inWindow++;
	};
	for (let i = 0; i < sockets; i++) {
		const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: receiveBufferBytes });
		socket.on('message', onMessage);
		await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(0, '127.0.0.1', () => resolve()));
		open.push(socket);
	}
	sink.ports = open.map((s) => s.address().port);
	return sink;
}

/**
 * For the UDP sockets bound to these local ports (/proc/net/udp): datagrams the kernel dropped for a
 * full receive buffer (the owner not reading fast enough), and the bytes waiting in their receive
 * queues now (the owner behind). Null off Linux.
 */
export function socketState(ports: number[]): { drops: number; queuedBytes: number } | null {
	try {
		const wanted = new Set(ports);
		let drops = 0;
		let queuedBytes = 0;
		for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
			const fields = line.trim().split(/\s+/);
			if (fields.length < 13 || !wanted.has(parseInt(fields[1].split(':')[1], 16))) continue;
			drops += Number(fields[12]);
			queuedBytes += parseInt(fields[4].split(':')[1], 16);
		}
		return { drops, queuedBytes };
	} catch {
		return null;
	}
}

export function socketDrops(ports: number[]): number | null {
	return socketState(ports)?.drops ?? null;
}
