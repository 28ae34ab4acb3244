// A load generator process of the groups scenario (forked by bench/groups.ts with its share of the
// group's members: one connection each). Every generator runs the whole open-loop schedule of a step
// (rate.ts): message n is due at start + n / rate and is sent by member n % members, from whichever
// generator holds that member; so every process knows every message's due time without being told.
// Each generator notes, per message, how many of its own members received it and when the last of them
// did (wall-clock ms, `performance.timeOrigin + performance.now()`, which all processes of the machine
// share); the parent adds the generators up, so a message's latency is due time → the LAST member's
// receipt over the whole group. Talks to its parent over IPC:
//   → { type: 'setup', setup: GroupGeneratorSetup }      ← { type: 'ready' } | { type: 'error', message }
//   → { type: 'step', step: GroupStepOrder }             ← { type: 'step', result: GroupStepResult }
//   → { type: 'idle', timeoutMs }                         ← { type: 'idle', outstanding }
// and exits when its parent goes away. Two transports: Parley (socket.io over a bare `ws` WebSocket,
// bench/lib/eio.ts: `messages:send`, acked after the durable write; `message:new` to every member's
// devices, the sender's included) and the raw `ws` broadcast (bench/lib/ws-broadcast.ts) in the same
// shape. Both receivers parse each frame's JSON, as a browser does.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { connectSocketIo } from './eio.js';
import { pace, perfOfEpoch } from './rate.js';
import { connectFew, whenIdle } from './step-loop.js';
import { messagesOf } from './group-workload.js';
import { messageText, tagOf } from './workload.js';

export interface GroupMemberEndpoint {
	/** The member's index in the group (0 … members - 1): it sends messages n with n % members == index. */
	index: number;
	/** Parley: the chat node's URL (with `ticket`); ws: the broadcast server's `ws://` URL. */
	url: string;
	ticket?: string;
}

export interface GroupGeneratorSetup {
	kind: 'parley' | 'ws';
	gen: number;
	/** Members in the whole group (all generators together). */
	members: number;
	/** Parley: the group's thread. */
	threadId: string;
	messageBytes: number;
	/** This generator's members. */
	endpoints: GroupMemberEndpoint[];
}

export interface GroupStepOrder {
	id: number;
	/** Messages per second offered over the whole group (every generator runs the same schedule). */
	rate: number;
	/** Wall-clock ms when message 0 is due. */
	startEpochMs: number;
	warmupMs: number;
	measureMs: number;
	drainMs: number;
}

export interface GroupStepResult {
	gen: number;
	/** Messages of the step (due before the window's end), all generators together. */
	messages: number;
	/** Per message: how many of this generator's members (its sender excluded) received it. */
	received: number[];
	/** Per message: when the last of them did, ms after startEpochMs (0: none did). */
	lastAt: number[];
	/** When this generator stopped waiting, ms after startEpochMs. */
	endAt: number;
	/** Receipts (sender excluded) that arrived within the measured window, any message. */
	deliveredInWindow: number;
	/** Sends of this generator's members, their acks and refusals. */
	sent: number;
	acked: number;
	ackErrors: number;
	firstError?: string;
	/** The sender's own copy of its message (Parley pushes to the sending device too). */
	echoes: number;
	expectedEchoes: number;
	/** A message received twice by the same member. */
	duplicates: number;
}

interface Member {
	index: number;
	send(tag: string, text: string): void;
	close(): void;
}

interface StepState {
	order: GroupStepOrder;
	messages: number;
	windowStart: number;
	windowEnd: number;
	received: Uint16Array;
	lastAt: Float64Array;
	/** [message * local + slot]: 1 once that member has it. */
	seen: Uint8Array;
	expectedReceipts: number;
	receipts: number;
	deliveredInWindow: number;
	sent: number;
	acked: number;
	ackErrors: number;
	firstError?: string;
	echoes: number;
	expectedEchoes: number;
	duplicates: number;
}

let setup: GroupGeneratorSetup;
let members: Member[] = [];
/** member index → local slot, -1 when another generator holds it. */
let slotOf: Int32Array;
const steps = new Map<number, StepState>();
let closing = false;

const nowEpoch = () => performance.timeOrigin + performance.now();

function fail(message: string): void {
	process.send?.({ type: 'error', message: `generator ${setup?.gen}: ${message}` });
}

function onAck(tag: string, error?: string): void {
	const hit = parseTag(tag);
	if (!hit) return;
	if (error) {
		hit.step.ackErrors++;
		hit.step.firstError ??= error;
	} else hit.step.acked++;
}

function parseTag(tag: string): { step: StepState; n: number } | null {
	const dot = tag.indexOf('.');
	if (dot < 0) return null;
	const step = steps.get(Number(tag.slice(0, dot)));
	if (!step) return null;
	const n = Number(tag.slice(dot + 1));
	return Number.isInteger(n) && n >= 0 && n < step.messages ? { step, n } : null;
}

function onPush(slot: number, text: string): void {
	const now = nowEpoch();
	const hit = parseTag(tagOf(text));
	if (!hit) return; // e.g. the group's `created` line
	const { step, n } = hit;
	const key = n * members.length + slot;
	if (step.seen[key]) {
		step.duplicates++;
		return;
	}
	step.seen[key] = 1;
	if (n % setup.members === members[slot].index) {
		step.echoes++;
		return;
	}
	const rel = now - step.order.startEpochMs;
	step.received[n]++;
	if (rel > step.lastAt[n]) step.lastAt[n] = rel;
	step.receipts++;
	if (now >= step.windowStart && now < step.windowEnd) step.deliveredInWindow++;
}

function connectParley(slot: number, endpoint: GroupMemberEndpoint): Promise<Member> {
	return connectSocketIo({ url: endpoint.url, auth: { ticket: endpoint.ticket }, timeoutMs: 60_000 }).then((socket) => {
		socket.on('message:new', (payload) => onPush(slot, (payload as { message: { text?: string | null } }).message.text ?? ''));
		socket.onClose((reason) => {
			if (!closing) fail(`a Parley socket closed: ${reason}`);
		});
		return {
			index: endpoint.index,
			send(tag, text) {
				socket.emitWithAck('messages:send', { threadId: setup.threadId, clientId: randomUUID(), text }, 120_000).then(
					(ack) => {
						const a = ack as { ok: boolean; error?: { code?: string; message?: string } };
						onAck(tag, a?.ok ? undefined : `${a?.error?.code ?? 'error'}: ${a?.error?.message ?? 'refused'}`);
					},
					(error: Error) => onAck(tag, error.message)
				);
			},
			close: () => socket.close()
		};
	});
}

function connectWs(slot: number, endpoint: GroupMemberEndpoint): Promise<Member> {
	const ws = new WebSocket(`${endpoint.url}/?member=${endpoint.index}`, { perMessageDeflate: false });
	ws.on('message', (data) => {
		const m = JSON.parse(String(data)) as { t: string; id?: string; text?: string };
		if (m.t === 'msg') onPush(slot, m.text!);
		else if (m.t === 'ack') onAck(m.id!);
	});
	ws.on('close', () => {
		if (!closing) fail('a broadcast socket closed');
	});
	return new Promise((resolve, reject) => {
		ws.once('error', reject);
		ws.once('open', () =>
			resolve({
				index: endpoint.index,
				send: (tag, text) => ws.send(JSON.stringify({ t: 'send', id: tag, text })),
				close: () => ws.close()
			})
		);
	});
}

async function connectAll(): Promise<void> {
	members = new Array<Member>(setup.endpoints.length);
	slotOf = new Int32Array(setup.members).fill(-1);
	setup.endpoints.forEach((e, slot) => (slotOf[e.index] = slot));
	await connectFew(
		setup.endpoints.map((endpoint, slot) => async () => {
			members[slot] = await (setup.kind === 'parley' ? connectParley : connectWs)(slot, endpoint);
		})
	);
}

async function runStep(order: GroupStepOrder): Promise<GroupStepResult> {
	const messages = messagesOf(order);
	const local = members.length;
	const step: StepState = {
		order,
		messages,
		windowStart: order.startEpochMs + order.warmupMs,
		windowEnd: order.startEpochMs + order.warmupMs + order.measureMs,
		received: new Uint16Array(messages),
		lastAt: new Float64Array(messages),
		seen: new Uint8Array(messages * local),
		expectedReceipts: 0,
		receipts: 0,
		deliveredInWindow: 0,
		sent: 0,
		acked: 0,
		ackErrors: 0,
		echoes: 0,
		expectedEchoes: 0,
		duplicates: 0
	};
	for (let n = 0; n < messages; n++) {
		const own = slotOf[n % setup.members] >= 0;
		step.expectedReceipts += own ? local - 1 : local;
		if (own) step.expectedEchoes++;
	}
	steps.set(order.id, step);
	// Earlier steps are kept a little for late pushes (ignored by the figures), then dropped.
	for (const id of steps.keys()) if (id < order.id - 2) steps.delete(id);
	const start = perfOfEpoch(order.startEpochMs);
	await pace({
		rate: order.rate,
		startMs: start,
		// Half a message after the last one: every generator stops at the same n, whatever the rounding.
		endMs: start + ((messages - 0.5) * 1000) / order.rate,
		send(n) {
			const slot = slotOf[n % setup.members];
			if (slot < 0) return;
			step.sent++;
			const tag = `${order.id}.${n}`;
			members[slot].send(tag, messageText({ messageBytes: setup.messageBytes } as Parameters<typeof messageText>[0], tag));
		}
	});
	const cutoff = step.windowEnd + order.drainMs;
	const complete = () => step.receipts >= step.expectedReceipts && step.acked + step.ackErrors >= step.sent && step.echoes >= step.expectedEchoes;
	while (nowEpoch() < cutoff && !complete()) await new Promise((r) => setTimeout(r, 20));
	return {
		gen: setup.gen,
		messages,
		received: Array.from(step.received),
		lastAt: Array.from(step.lastAt, (x) => Math.round(x * 1000) / 1000),
		endAt: nowEpoch() - order.startEpochMs,
		deliveredInWindow: step.deliveredInWindow,
		sent: step.sent,
		acked: step.acked,
		ackErrors: step.ackErrors,
		firstError: step.firstError,
		echoes: step.echoes,
		expectedEchoes: step.expectedEchoes,
		duplicates: step.duplicates
	};
}

/** Receipts, echoes and acks the kept steps still owe this generator. */
function owed(): number {
	let left = 0;
	for (const s of steps.values()) left += s.expectedReceipts - s.receipts + (s.expectedEchoes - s.echoes) + (s.sent - s.acked - s.ackErrors);
	return Math.max(0, left);
}

process.on('message', (msg: { type: string; setup?: GroupGeneratorSetup; step?: GroupStepOrder; timeoutMs?: number }) => {
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
		void whenIdle(msg.timeoutMs!, owed).then((left) => process.send?.({ type: 'idle', outstanding: left }));
	}
});

process.on('disconnect', () => {
	closing = true;
	for (const m of members) m?.close();
	process.exit(0);
});
