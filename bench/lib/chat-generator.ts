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
import { io as connect, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { connectFew, stepLoop, whenIdle, type StepLoop, type StepOrder } from './step-loop.js';
import type { Workload } from './workload.js';

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

export type { StepOrder, StepResult } from './step-loop.js';

interface Device {
	send(tag: string, text: string): void;
	close(): void;
}

let setup: GeneratorSetup;
let devices: Device[][][] = []; // [pair][side][device]
let loop: StepLoop;

function connectParley(pair: number, side: number, index: number, endpoint: DeviceEndpoint): Promise<Device> {
	const { threadId } = setup.pairs[pair];
	const socket: Socket = connect(endpoint.url, { auth: { ticket: endpoint.ticket }, transports: ['websocket'], reconnection: false, forceNew: true });
	socket.on('message:new', (payload: { message: { text: string | null } }) => loop.onPush(pair, side, index, payload.message.text ?? ''));
	socket.on('disconnect', (reason) => {
		if (!closing) fail(`a Parley socket disconnected: ${reason}`);
	});
	return new Promise((resolve, reject) => {
		socket.once('connect_error', (error) => reject(new Error(`connect to ${endpoint.url}: ${error.message}`)));
		socket.once('connect', () =>
			resolve({
				send(tag, text) {
					socket.emit('messages:send', { threadId, clientId: randomUUID(), text }, (ack: { ok: boolean; error?: { message: string } }) =>
						loop.onAck(tag, ack.ok ? undefined : (ack.error?.message ?? 'refused'))
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
		if (m.t === 'ack') loop.onAck(m.id!);
		else if (m.t === 'msg') loop.onPush(pair, side, index, m.text!);
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
	await connectFew(jobs);
}

let closing = false;
function fail(message: string): void {
	process.send?.({ type: 'error', message: `generator ${setup?.gen}: ${message}` });
}

process.on('message', (msg: { type: string; setup?: GeneratorSetup; step?: StepOrder; timeoutMs?: number }) => {
	if (msg.type === 'setup') {
		setup = msg.setup!;
		loop = stepLoop({
			gen: setup.gen,
			workload: setup.workload,
			pairCount: setup.pairs.length,
			send: (pair, side, tag, text) => devices[pair][side][0].send(tag, text),
			// Every device of both users, the sender's own included (Parley pushes to it as well).
			pushesPerMessage: 2 * setup.workload.devicesPerUser,
			acks: true,
			forgetDropped: true
		});
		connectAll().then(
			() => process.send?.({ type: 'ready' }),
			(error: Error) => fail(error.message)
		);
	} else if (msg.type === 'step') {
		loop.runStep(msg.step!).then(
			(result) => process.send?.({ type: 'step', result }),
			(error: Error) => fail(error.stack ?? error.message)
		);
	} else if (msg.type === 'idle') {
		// Until everything sent so far has reached its peer. The peer's arrival is not the end of a
		// message's work: the server may still owe acks and the pushes to the other devices, which would
		// weigh on the next step.
		void whenIdle(msg.timeoutMs!, loop.owed).then((left) => process.send?.({ type: 'idle', outstanding: left }));
	}
});

process.on('disconnect', () => {
	closing = true;
	for (const pair of devices) for (const side of pair) for (const d of side) d?.close();
	process.exit(0);
});
