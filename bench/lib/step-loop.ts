// The step loop of the throughput generators (bench/lib/chat-generator.ts for Parley and the ws relay,
// bench/lib/xmpp-generator.ts for ejabberd), shared so that both measure message for message the same
// way: the open-loop schedule of rate.ts, the tag and text of workload.ts, message n from pair n % pairs,
// the two users taking turns, latency from the due time to the arrival at the peer's first device, a
// message missing at the cut-off counted at its age. The protocol is the generator's: it sends through
// `send` and reports what its devices receive through `onAck` and `onPush`.
import { performance } from 'node:perf_hooks';
import { encode, latencyHistogram, recordMs } from './histogram.js';
import { pace, perfOfEpoch } from './rate.js';
import { messageText, tagOf, type Workload } from './workload.js';

/** One step of the ramp, as the parent orders it of every generator. */
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

export interface StepLoopOptions {
	gen: number;
	workload: Workload;
	pairCount: number;
	/** Sends message `text` (tagged `tag`) from the first device of `side` of `pair` to the other user. */
	send(pair: number, side: number, tag: string, text: string): void;
	/** Pushes one message owes over all devices of both users. */
	pushesPerMessage: number;
	/**
	 * Whether the server acks each send (Parley after the durable write, the relay on receipt): a step
	 * then waits for its acks too. Without (XMPP), a send counts as acked once written.
	 */
	acks: boolean;
	/** Whether a dropped step's messages that never arrived stop counting as on their way. */
	forgetDropped: boolean;
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

export interface StepLoop {
	onAck(tag: string, error?: string): void;
	onPush(pair: number, side: number, device: number, text: string): void;
	runStep(order: StepOrder): Promise<StepResult>;
	/** Messages sent that have not reached their peer's first device yet. */
	outstanding(): number;
	/** Besides the outstanding messages, the acks and pushes the server still owes for the kept steps. */
	owed(): number;
}

export function stepLoop(options: StepLoopOptions): StepLoop {
	const { gen, workload: w, pairCount: pairs, pushesPerMessage } = options;
	const steps = new Map<number, StepState>();
	let outstanding = 0;

	function parseTag(tag: string): { step: StepState; n: number } | null {
		const dot = tag.indexOf('.');
		const step = steps.get(Number(tag.slice(tag.indexOf(':') + 1, dot)));
		if (!step) return null;
		return { step, n: Number(tag.slice(dot + 1)) };
	}

	const senderSide = (n: number) => Math.floor(n / pairs) % 2;

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
		if (n % pairs !== pair) return;
		const bit = 1 << (side * w.devicesPerUser + device);
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

	async function runStep(order: StepOrder): Promise<StepResult> {
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
			if (options.forgetDropped) outstanding -= old.sent - old.arrived;
			steps.delete(id);
		}
		step.sent = await pace({
			rate: order.rate,
			startMs: start,
			endMs: windowEnd,
			send(n, due) {
				if (n >= capacity) return;
				step.due[n] = due;
				if (due >= windowStart) step.offered++;
				outstanding++;
				const tag = `${gen}:${order.id}.${n}`;
				options.send(n % pairs, senderSide(n), tag, messageText(w, tag));
			}
		});
		const cutoff = windowEnd + order.drainMs;
		const expectedPushes = step.sent * pushesPerMessage;
		const complete = () => step.arrived >= step.sent && (!options.acks || step.ackCount + step.ackErrors >= step.sent) && step.pushes >= expectedPushes;
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
			gen,
			offered: step.offered,
			deliveredInWindow: step.deliveredInWindow,
			measureMs: order.measureMs,
			histogram: encode(histogram),
			missing,
			sent: step.sent,
			acked: options.acks ? step.ackCount : step.sent,
			ackErrors: step.ackErrors,
			firstError: step.firstError,
			pushes: step.pushes,
			expectedPushes,
			duplicates: step.duplicates
		};
	}

	function owed(): number {
		let left = Math.max(0, outstanding);
		for (const step of steps.values()) left += step.sent - step.ackCount - step.ackErrors + Math.max(0, step.sent * pushesPerMessage - step.pushes);
		return left;
	}

	return { onAck, onPush, runStep, outstanding: () => outstanding, owed };
}

/** Runs the connect jobs a few at a time: hundreds of simultaneous handshakes only measure the accept queue. */
export async function connectFew(jobs: Array<() => Promise<void>>): Promise<void> {
	const queue = [...jobs];
	await Promise.all(
		Array.from({ length: 16 }, async () => {
			for (let job = queue.shift(); job; job = queue.shift()) await job();
		})
	);
}

/** Resolves with what `left()` counts once that is nothing, or after `timeoutMs` (an overloaded step leaves a backlog). */
export function whenIdle(timeoutMs: number, left: () => number): Promise<number> {
	const deadline = performance.now() + timeoutMs;
	return new Promise((resolve) => {
		const check = () => {
			const n = left();
			if (n <= 0 || performance.now() > deadline) resolve(n);
			else setTimeout(check, 50);
		};
		check();
	});
}
