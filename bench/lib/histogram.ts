// Latency histograms (HdrHistogram): p50/p99/p99.9 over any number of samples in fixed memory, and
// mergeable across load generator processes (each sends its histogram encoded; the parent adds them).
// Values are recorded in microseconds, read back in milliseconds.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** An empty histogram for latencies from 1 µs to 10 minutes at 3 significant digits. */
export function latencyHistogram(): Histogram {
	return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Records one latency in ms (clamped to the histogram's range). */
export function recordMs(h: Histogram, ms: number): void {
	h.recordValue(Math.min(600_000_000, Math.max(1, Math.round(ms * 1000))));
}

export interface LatencySummary {
	count: number;
	p50Ms: number;
	p99Ms: number;
	p999Ms: number;
	maxMs: number;
	meanMs: number;
}

const ms = (us: number) => Math.round(us) / 1000;

export function summary(h: Histogram): LatencySummary {
	if (h.totalCount === 0) return { count: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 };
	return {
		count: h.totalCount,
		p50Ms: ms(h.getValueAtPercentile(50)),
		p99Ms: ms(h.getValueAtPercentile(99)),
		p999Ms: ms(h.getValueAtPercentile(99.9)),
		maxMs: ms(h.maxValue),
		meanMs: ms(h.mean)
	};
}

/** A compact string of the histogram, to send between processes. */
export function encode(h: Histogram): string {
	return hdr.encodeIntoCompressedBase64(h);
}

export function decode(s: string): Histogram {
	return hdr.decodeFromCompressedBase64(s);
}

/** One histogram holding the samples of all `parts` (encoded or not). */
export function merge(parts: Array<Histogram | string>): Histogram {
	const total = latencyHistogram();
	for (const part of parts) total.add(typeof part === 'string' ? decode(part) : part);
	return total;
}
