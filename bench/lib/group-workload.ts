// The groups scenario's workload (bench/groups.ts, bench/lib/group-generator.ts): one definition, so
// Parley and the raw `ws` broadcast run exactly the same exchange.
//
// One group of `members` people, each with one connected device, every one of them online. Message n
// of a step is sent by member n % members (so everyone takes turns) at its due time on an open-loop
// schedule (rate.ts); it is acknowledged to its sender, then pushed to every member's device, the
// sender's included. A message's latency runs from its due time to the receipt of the LAST of the
// other members; deliveries are messages × recipients (the sender's own copy not counted).
//
// Stepping as in the throughput scenario (workload.ts): the offered rate (messages per second into
// the group) starts at `startRate` and is multiplied by `rateFactor` each step; each step runs
// `warmupSeconds` unmeasured, then `stepSeconds` measured. The system is saturated at the first rate
// that delivers less than `saturation.minDeliveredRatio` of the deliveries offered or whose p99 passes
// `saturation.maxP99Ms`, twice in a row when `confirmSaturation` (one stall of a shared machine does
// not end the ramp); its saturated throughput is the best delivered rate of any step. Latency figures
// come from one more run at `latencyFraction` of that rate.

export interface GroupWorkload {
	/** People in the group, each with one connected device. */
	members: number;
	/** Chat nodes the members are spread over (member i on node i % nodes). */
	nodes: number;
	/** Bytes of text per message (ASCII). */
	messageBytes: number;
	/** Offered rate of the first step, messages per second into the group. */
	startRate: number;
	rateFactor: number;
	maxSteps: number;
	warmupSeconds: number;
	stepSeconds: number;
	drainSeconds: number;
	latencyFraction: number;
	latencySeconds: number;
	saturation: { minDeliveredRatio: number; maxP99Ms: number };
	/** Run a step over the saturation rule once more before stopping (the ramp stops if both are over). */
	confirmSaturation: boolean;
	/** Load generator processes; each holds an equal share of the members. */
	generators: number;
}

export const FULL: GroupWorkload = {
	members: 256,
	nodes: 3,
	messageBytes: 100,
	startRate: 4,
	rateFactor: 1.5,
	maxSteps: 14,
	warmupSeconds: 2,
	stepSeconds: 8,
	drainSeconds: 5,
	latencyFraction: 0.7,
	latencySeconds: 10,
	saturation: { minDeliveredRatio: 0.9, maxP99Ms: 1000 },
	confirmSaturation: true,
	generators: 2
};

/** `--quick`: a smoke test (a 48-member group, two short steps and a short latency run), not a figure. */
export const QUICK: GroupWorkload = {
	...FULL,
	members: 48,
	startRate: 10,
	maxSteps: 2,
	warmupSeconds: 1,
	stepSeconds: 2,
	drainSeconds: 3,
	latencySeconds: 2,
	confirmSaturation: false
};

export function groupWorkload(quick: boolean): GroupWorkload {
	return quick ? QUICK : FULL;
}

/** The offered rate of step `i` (0-based), messages per second. */
export function groupRateOfStep(w: GroupWorkload, i: number): number {
	return Math.round(w.startRate * w.rateFactor ** i * 100) / 100;
}

/** How many messages a step has: those due before its measured window ends (message i is due at i / rate). */
export function messagesOf(order: { rate: number; warmupMs: number; measureMs: number }): number {
	return Math.ceil(((order.warmupMs + order.measureMs) * order.rate) / 1000);
}
