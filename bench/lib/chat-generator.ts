// A load generator process of the throughput scenario (forked by bench/throughput.ts with its share
// of the pairs). It holds every device of its pairs, so both ends of each message are timed by this
// process's clock. Talks to its parent over IPC:
//   → { type: 'setup', setup: GeneratorSetup }            ← { type: 'ready' } | { type: 'error', message }
//   → { type: 'step', step: StepOrder }                   ← { type: 'step', result: StepResult }
//   → { type: 'idle', timeoutMs }                          ← { type: 'idle', outstanding }
// and exits when its parent goes away. Two transports: Parley over socket.io (`messages:send`, acked
// after the durable write; `message:new` on every device of both members) and the raw `ws` relay
// (bench/lib/ws-relay.ts) in the same shape.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { io as connect, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { encode, latencyHistogram, recordMs } from './histogram.js';
import { pace, perfOfEpoch } from './rate.js';
import { messageText, tagOf, type Workload } from './workload.js';

export interface DeviceEndpoint {
	/** Parley: the chat node's URL (with `ticket`); ws: the relay's `ws://` URL. */
	url: string;
	ticket?: string;
}

export interface PairSetup {
	/** Parley: the pair's private thread. */
	threadId: string;
	users: [{ id: string; devices: DeviceEndpoint[] }, { id: string; devices: DeviceEndpoint[] }];
}

export interface GeneratorSetup {
	kind: 'parley' | 'ws';
	/** This generator's number: part of every message tag, so generators never collide. */
	gen: number;
	workload: Workload;
	pairs: PairSetup[];
}

export interface StepOrder {
	/** Identifies the step in message tags. */
	id: number;
	/** This generator's share of the offered rate, messages per second. */
	rate: number;
	/** Wall-clock ms (Date.now()) when the first message is due: all generators start together. */
	startEpochMs: number;
	warmupMs: number;
	measureMs: number;
	/** After the last message is due, wait at most this long for the measured ones to arrive. */
	drainMs: number;
}

export interface StepResult {
	gen: number;
	/** Messages due in the measured window. */
	offered: number;
	/** Messages that arrived at the peer's first device during the measured window (any due time). */
	deliveredInWindow: number;
	measureMs: number;
	/** Latency of the measured messages, due time → the peer's first device (encoded HdrHistogram). */
	histogram: string;
	/** Measured messages that had not reached the peer by the cut-off (counted at their age then). */
	missing: number;
	/** Every message of the step: sent, acked ok, refused, and pushes received over all devices. */
	sent: number;
	acked: number;
	ackErrors: number;
	firstError?: string;
	pushes: number;
	expectedPushes: number;
	/** A message pushed twice to the same device. */
	duplicates: number;
}

interface Device {
	send(tag: string, text: string): void;
	close(): void;
}

interface StepState {
	order: StepOrder;
	windowStart: number;
	windowEnd: number;
	due: Float64Array;
	peerAt: Float64Array;
	acked: Uint8Array;
	/** Pushes received per message and device slot (bit per device). */
	seen: Uint32Array;
	sent: number;
	offered: number;
	deliveredInWindow: number;
	/** Messages that reached the peer's first device, whenever. */
	arrived: number;
	ackCount: number;
	ackErrors: number;
	firstError?: string;
	pushes: number;
	duplicates: number;
}

let setup: GeneratorSetup;
let devices: Device[][][] = []; // [pair][side][device]
const steps = new Map<number, StepState>();
let outstanding = 0;

function parseTag(tag: string): { step: StepState; n: number } | null {
	const dot = tag.indexOf('.');
	const step = steps.get(Number(tag.slice(tag.indexOf(':') + 1, dot)));
	if (!step) return null;
	return { step, n: Number(tag.slice(dot + 1)) };
}

const pairCount = () => setup.pairs.length;
const senderSide = (n: number) => Math.floor(n / pairCount()) % 2;

function onAck(tag: string, error?: string): void {
	const hit = parseTag(tag);
	if (!hit) return;
	const { step, n } = hit;
	if (step.acked[n]) return;
	step.acked[n] = 1;
	if (error) {
		step.ackErrors++;
		step.firstError ??= error;
	} else step.ackCount++;
}

function onPush(pair: number, side: number, device: number, text: string): void {
	const now = performance.now();
	const hit = parseTag(tagOf(text));
	if (!hit) return;
	const { step, n } = hit;
	if (n % pairCount() !== pair) return;
	const bit = 1 << (side * setup.workload.devicesPerUser + device);
	if (step.seen[n] & bit) {
		step.duplicates++;
		return;
	}
	step.seen[n] |= bit;
	step.pushes++;
	if (device === 0 && side !== senderSide(n)) {
		step.peerAt[n] = now;
		step.arrived++;
		outstanding--;
		if (now >= step.windowStart && now < step.windowEnd) step.deliveredInWindow++;
	}
}

function connectParley(pair: number, side: number, index: number, endpoint: DeviceEndpoint): Promise<Device> {
	const { threadId } = setup.pairs[pair];
	const socket: Socket = connect(endpoint.url, { auth: { ticket: endpoint.ticket }, transports: ['websocket'], reconnection: false, forceNew: true });
	socket.on('message:new', (payload: { message: { text: string | null } }) => onPush(pair, side, index, payload.message.text ?? ''));
	socket.on('disconnect', (reason) => {
		if (!closing) fail(`a Parley socket disconnected: ${reason}`);
	});
	return new Promise((resolve, reject) => {
		socket.once('connect_error', (error) => reject(new Error(`connect to ${endpoint.url}: ${error.message}`)));
		socket.once('connect', () =>
			resolve({
				send(tag, text) {
					socket.emit('messages:send', { threadId, clientId: randomUUID(), text }, (ack: { ok: boolean; error?: { message: string } }) =>
						onAck(tag, ack.ok ? undefined : (ack.error?.message ?? 'refused'))
					);
				},
				close: () => socket.disconnect()
			})
		);
	});
}

function connectWs(pair: number, side: number, index: number, endpoint: DeviceEndpoint): Promise<Device> {
	const me = setup.pairs[pair].users[side].id;
	const peer = setup.pairs[pair].users[1 - side].id;
	const ws = new WebSocket(`${endpoint.url}/?user=${encodeURIComponent(me)}`, { perMessageDeflate: false });
	ws.on('message', (data) => {
		const m = JSON.parse(String(data)) as { t: string; id?: string; text?: string };
		if (m.t === 'ack') onAck(m.id!);
		else if (m.t === 'msg') onPush(pair, side, index, m.text!);
	});
	ws.on('close', () => {
		if (!closing) fail('a relay socket closed');
	});
	return new Promise((resolve, reject) => {
		ws.once('error', reject);
		ws.once('open', () =>
			resolve({
				send: (tag, text) => ws.send(JSON.stringify({ t: 'send', id: tag, to: peer, text })),
				close: () => ws.close()
			})
		);
	});
}

async function connectAll(): Promise<void> {
	const jobs: Array<() => Promise<void>> = [];
	devices = setup.pairs.map((p) => p.users.map((u) => new Array<Device>(u.devices.length)));
	setup.pairs.forEach((p, pair) =>
		p.users.forEach((u, side) =>
			u.devices.forEach((endpoint, index) =>
				jobs.push(async () => {
					devices[pair][side][index] = await (setup.kind === 'parley' ? connectParley : connectWs)(pair, side, index, endpoint);
				})
			)
		)
	);
	// A few at a time: hundreds of simultaneous handshakes only measure the accept queue.
	const queue = [...jobs];
	await Promise.all(
		Array.from({ length: 16 }, async () => {
			for (let job = queue.shift(); job; job = queue.shift()) await job();
		})
	);
}

async function runStep(order: StepOrder): Promise<StepResult> {
	const w = setup.workload;
	const start = perfOfEpoch(order.startEpochMs);
	const windowStart = start + order.warmupMs;
	const windowEnd = windowStart + order.measureMs;
	const capacity = Math.ceil((order.rate * (order.warmupMs + order.measureMs)) / 1000) + 2;
	const step: StepState = {
		order,
		windowStart,
		windowEnd,
		due: new Float64Array(capacity),
		peerAt: new Float64Array(capacity),
		acked: new Uint8Array(capacity),
		seen: new Uint32Array(capacity),
		sent: 0,
		offered: 0,
		deliveredInWindow: 0,
		arrived: 0,
		ackCount: 0,
		ackErrors: 0,
		pushes: 0,
		duplicates: 0
	};
	steps.set(order.id, step);
	// Old steps are kept a little for late pushes (ignored), then dropped.
	for (const [id, old] of steps) {
		if (id >= order.id - 2) continue;
		// What never arrived of a dropped step no longer counts as on its way.
		outstanding -= old.sent - old.arrived;
		steps.delete(id);
	}
	const pairs = pairCount();
	step.sent = await pace({
		rate: order.rate,
		startMs: start,
		endMs: windowEnd,
		send(n, due) {
			if (n >= capacity) return;
			step.due[n] = due;
			if (due >= windowStart) step.offered++;
			outstanding++;
			const pair = n % pairs;
			const side = Math.floor(n / pairs) % 2;
			const tag = `${setup.gen}:${order.id}.${n}`;
			devices[pair][side][0].send(tag, messageText(w, tag));
		}
	});
	const cutoff = windowEnd + order.drainMs;
	const complete = () => step.arrived >= step.sent && step.ackCount + step.ackErrors >= step.sent && step.pushes >= step.sent * 2 * w.devicesPerUser;
	while (performance.now() < cutoff && !complete()) await new Promise((r) => setTimeout(r, 20));
	const end = performance.now();
	const histogram = latencyHistogram();
	let missing = 0;
	for (let n = 0; n < step.sent; n++) {
		if (step.due[n] < windowStart) continue;
		if (step.peerAt[n] > 0) recordMs(histogram, step.peerAt[n] - step.due[n]);
		else {
			missing++;
			recordMs(histogram, end - step.due[n]);
		}
	}
	return {
		gen: setup.gen,
		offered: step.offered,
		deliveredInWindow: step.deliveredInWindow,
		measureMs: order.measureMs,
		histogram: encode(histogram),
		missing,
		sent: step.sent,
		acked: step.ackCount,
		ackErrors: step.ackErrors,
		firstError: step.firstError,
		pushes: step.pushes,
		expectedPushes: step.sent * 2 * w.devicesPerUser,
		duplicates: step.duplicates
	};
}

let closing = false;
function fail(message: string): void {
	process.send?.({ type: 'error', message: `generator ${setup?.gen}: ${message}` });
}

process.on('message', (msg: { type: string; setup?: GeneratorSetup; step?: StepOrder; timeoutMs?: number }) => {
	if (msg.type === 'setup') {
		setup = msg.setup!;
		connectAll().then(
			() => process.send?.({ type: 'ready' }),
			(error: Error) => fail(error.message)
		);
	} else if (msg.type === 'step') {
		runStep(msg.step!).then(
			(result) => process.send?.({ type: 'step', result }),
			(error: Error) => fail(error.stack ?? error.message)
		);
	} else if (msg.type === 'idle') {
		// Until everything sent so far (an overloaded step leaves a backlog) has reached its peer.
		const deadline = performance.now() + msg.timeoutMs!;
		// The peer's arrival is not the end of a message's work: the server may still owe acks and the
		// pushes to the other devices, which would weigh on the next step.
		const owed = () => {
			let left = Math.max(0, outstanding);
			const perMessage = 2 * setup.workload.devicesPerUser;
			for (const step of steps.values()) left += step.sent - step.ackCount - step.ackErrors + Math.max(0, step.sent * perMessage - step.pushes);
			return left;
		};
		const check = () => {
			const left = owed();
			if (left <= 0 || performance.now() > deadline) process.send?.({ type: 'idle', outstanding: left });
			else setTimeout(check, 50);
		};
		check();
	}
});

process.on('disconnect', () => {
	closing = true;
	for (const pair of devices) for (const side of pair) for (const d of side) d?.close();
	process.exit(0);
});
