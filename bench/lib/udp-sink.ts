// The receiving end of the SFU benchmark (bench/calls.ts): UDP sockets on loopback that every
// consumer's PlainTransport sends to (comedia off, connected to one of them), counting RTP packets and
// dropping them. RTCP on the same port (RFC 5761: second byte 192-223) is counted apart. Several
// sockets, so no single kernel receive queue is the bottleneck; consumers are spread over them.
// `kernelDrops()` reads the system's UDP receive-buffer errors (/proc/net/snmp): packets the kernel
// threw away because this process did not read them fast enough are the sink's loss, not the SFU's.
import dgram from 'node:dgram';
import fs from 'node:fs';

export interface UdpSink {
	/** The ports, one per socket. */
	ports: number[];
	/** RTP packets received so far, all sockets. */
	readonly rtp: number;
	readonly rtcp: number;
	stop(): Promise<void>;
}

export async function startUdpSink(sockets = 4, receiveBufferBytes = 8 * 1024 * 1024): Promise<UdpSink> {
	let rtp = 0;
	let rtcp = 0;
	const open: dgram.Socket[] = [];
	for (let i = 0; i < sockets; i++) {
		const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: receiveBufferBytes });
		socket.on('message', (msg) => {
			if (msg.length >= 2 && msg[1] >= 192 && msg[1] <= 223) rtcp++;
			else rtp++;
		});
		await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(0, '127.0.0.1', () => resolve()));
		open.push(socket);
	}
	return {
		ports: open.map((s) => s.address().port),
		get rtp() {
			return rtp;
		},
		get rtcp() {
			return rtcp;
		},
		stop: async () => {
			await Promise.all(open.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
		}
	};
}

/** The system-wide count of UDP datagrams dropped for a full receive buffer (Udp RcvbufErrors), or null off Linux. */
export function kernelDrops(): number | null {
	try {
		const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
		const names = lines[0].split(/\s+/);
		const values = lines[1].split(/\s+/);
		const at = names.indexOf('RcvbufErrors');
		return at < 0 ? null : Number(values[at]);
	} catch {
		return null;
	}
}
