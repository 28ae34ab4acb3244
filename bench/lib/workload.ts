// The throughput and latency workload (issue 7, scenarios 2, 3 and 5): one definition, so Parley, the
// raw `ws` relay and the XMPP peer run exactly the same exchange. Import it; do not copy the numbers.
//
// The exchange: `pairs` pairs of users, each user with `devicesPerUser` connected devices. Both users
// of a pair send from their first device, taking turns; every message is acknowledged to its sender
// (Parley: after the durable write) and then pushed to the other devices of both users. Latency runs
// from the message's *intended* send time (an open-loop schedule, see rate.ts) to its arrival at the
// peer's first device, measured in the process that sends it (both ends of a pair live in one load
// generator, so there is no clock skew).
//
// Stepping: the offered rate (messages per second, all pairs together) starts at `startRate` and is
// multiplied by `rateFactor` each step; each step runs `warmupSeconds` unmeasured, then
// `stepSeconds` measured. The system is saturated at the first step where it delivers less than
// `saturation.minDeliveredRatio` of what was offered or its p99 passes `saturation.maxP99Ms`; its
// saturated throughput is the best delivered rate of any step. Latency figures come from one more run
// at `latencyFraction` of that rate.

export interface Workload {
	/** Pairs of users exchanging messages. */
	pairs: number;
	/** Connected devices per user: the first sends and receives, the others only receive. */
	devicesPerUser: number;
	/** Bytes of text per message (ASCII, so also characters). */
	messageBytes: number;
	/** Offered rate of the first step, messages per second over all pairs. */
	startRate: number;
	/** Each step offers this many times the rate of the one before. */
	rateFactor: number;
	/** Never offer more than this (the ramp stops here even if nothing saturated). */
	maxRate: number;
	/** At most this many steps. */
	maxSteps: number;
	/** Unmeasured seconds at the start of every step (and of the latency run). */
	warmupSeconds: number;
	/** Measured seconds of every step. */
	stepSeconds: number;
	/** After a step stops sending, wait at most this long for what is in flight to arrive. */
	drainSeconds: number;
	/** The latency run offers this fraction of the saturated throughput... */
	latencyFraction: number;
	/** ...for this many measured seconds (after a warm-up). */
	latencySeconds: number;
	saturation: { minDeliveredRatio: number; maxP99Ms: number };
	/** Load generator processes; each takes an equal share of the pairs and of the rate. */
	generators: number;
}

export const FULL: Workload = {
	pairs: 100,
	devicesPerUser: 2,
	messageBytes: 100,
	startRate: 200,
	rateFactor: 1.5,
	maxRate: 40_000,
	maxSteps: 14,
	warmupSeconds: 2,
	stepSeconds: 8,
	drainSeconds: 5,
	latencyFraction: 0.7,
	latencySeconds: 10,
	saturation: { minDeliveredRatio: 0.9, maxP99Ms: 1000 },
	generators: 2
};

/** `--quick`: a smoke test of the harness (two short steps), not a figure. */
export const QUICK: Workload = {
	...FULL,
	pairs: 20,
	startRate: 100,
	maxSteps: 2,
	warmupSeconds: 1,
	stepSeconds: 2,
	drainSeconds: 3,
	latencySeconds: 2
};

export function workload(quick: boolean): Workload {
	return quick ? QUICK : FULL;
}

/** The offered rate of step `i` (0-based). */
export function rateOfStep(w: Workload, i: number): number {
	return Math.min(w.maxRate, Math.round(w.startRate * w.rateFactor ** i));
}

export interface StepFigures {
	/** Messages per second offered (scheduled) in the measured window. */
	offered: number;
	/** Messages per second that arrived at the peer's device in the measured window. */
	delivered: number;
	/** p99 latency of the step's measured messages, ms (a message that never arrived counts at its age). */
	p99Ms: number;
}

/** True when the step shows the system past what it can carry: the ramp stops after it. */
export function saturated(w: Workload, step: StepFigures): boolean {
	return step.delivered < w.saturation.minDeliveredRatio * step.offered || step.p99Ms > w.saturation.maxP99Ms;
}

/**
 * The text of a message: `tag` (which identifies the message to its receiver, e.g. `g1:4711`), a
 * space, then filler up to exactly `w.messageBytes` bytes. Tags are ASCII and short.
 */
export function messageText(w: Workload, tag: string): string {
	const head = `${tag} `;
	if (head.length >= w.messageBytes) throw new Error(`tag "${tag}" does not fit in ${w.messageBytes} bytes`);
	return head + FILLER.slice(0, w.messageBytes - head.length);
}

/** The tag `messageText` put at the start of `text`. */
export function tagOf(text: string): string {
	const space = text.indexOf(' ');
	return space < 0 ? text : text.slice(0, space);
}

const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore '.repeat(100);
