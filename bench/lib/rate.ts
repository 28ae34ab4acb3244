// An open-loop paced sender: message i is *due* at start + i / rate, whatever happened to the ones
// before it. Sends are never skipped or slowed when the system under test falls behind (a timer that
// fires late sends everything that is due at once), and latency is measured from the due time, not
// from when the send actually left, so a stall in the sender, the event loop or the server shows up
// in the figures instead of being hidden (coordinated omission).
import { performance } from 'node:perf_hooks';

export interface PaceOptions {
	/** Messages per second. */
	rate: number;
	/** When the first message is due, as `performance.now()` ms. */
	startMs: number;
	/** No message is due at or after this `performance.now()` ms. */
	endMs: number;
	/** Called once per message, in order, as soon as it is due; `dueMs` is its `performance.now()` due time. */
	send: (i: number, dueMs: number) => void;
}

/** Runs the schedule; resolves with the number of messages sent once the last one is due. */
export function pace(options: PaceOptions): Promise<number> {
	const { rate, startMs, endMs, send } = options;
	const interval = 1000 / rate;
	let i = 0;
	return new Promise((resolve) => {
		const tick = () => {
			const now = performance.now();
			for (;;) {
				const due = startMs + i * interval;
				if (due >= endMs) return resolve(i);
				if (due > now) break;
				send(i, due);
				i++;
			}
			// setTimeout's floor is about 1 ms: at higher rates each tick sends a small burst.
			setTimeout(tick, Math.max(0, startMs + i * interval - performance.now()));
		};
		setTimeout(tick, Math.max(0, startMs - performance.now()));
	});
}

/** `performance.now()` of a wall-clock time (Date.now() ms): lets processes start a step together. */
export function perfOfEpoch(epochMs: number): number {
	return epochMs - performance.timeOrigin;
}
