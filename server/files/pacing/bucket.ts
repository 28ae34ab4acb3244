/**
 * Token buckets counting bytes: a bucket holds up to `burst` tokens, gains `rate` per second, and a
 * transfer takes one token per byte it passes on. The arithmetic here is the one `redis-bucket.ts`'s
 * Lua script does (keep them alike); `memory-bucket.ts` runs it in this process.
 */

/** A bucket's shape: bytes per second, and what it holds when full. */
export interface BucketShape {
	/** Tokens (bytes) gained per second; more than 0. */
	rate: number;
	/** Most tokens held: what a transfer may take at once after a pause. */
	burst: number;
}

/** A bucket's content at a moment: `tokens` (fractional) at `at` (milliseconds, any clock). */
export interface BucketState {
	tokens: number;
	at: number;
}

/** What one ask got: `granted` bytes (0 up to what was asked), and when to ask again for the rest. */
export interface Grant {
	granted: number;
	/** Milliseconds until the bucket holds what was missing (at most a burst); 0 when all was granted. */
	waitMs: number;
}

/** The least burst: one read of a request body (64 KiB) must fit, however low the rate. */
export const MIN_BURST = 64 * 1024;

/** The shape for a rate: a burst of one second's worth, at least `MIN_BURST`. */
export function shapeFor(rate: number): BucketShape {
	return { rate, burst: Math.max(MIN_BURST, Math.ceil(rate)) };
}

/**
 * Refills `state` for the time since it was taken (a clock that went back refills nothing), then takes
 * up to `want` whole tokens (at most a burst). A new bucket (`state` undefined) starts full.
 */
export function take(shape: BucketShape, state: BucketState | undefined, now: number, want: number): { state: BucketState; grant: Grant } {
	const { rate, burst } = shape;
	const asked = Math.max(0, Math.min(Math.floor(want), burst));
	let tokens = state ? state.tokens : burst;
	if (state && now > state.at) tokens = Math.min(burst, tokens + ((now - state.at) * rate) / 1000);
	const granted = Math.min(asked, Math.floor(tokens));
	tokens -= granted;
	const missing = asked - granted;
	const waitMs = missing > 0 ? Math.max(1, Math.ceil(((missing - tokens) * 1000) / rate)) : 0;
	return { state: { tokens, at: state && state.at > now ? state.at : now }, grant: { granted, waitMs } };
}

/** How long an untouched bucket takes to be full again: after that, forgetting it changes nothing. */
export function refillMs(shape: BucketShape): number {
	return Math.ceil((shape.burst * 1000) / shape.rate);
}

/** One bucket as the pacer sees it: asks never fail (a bucket that cannot be asked grants from another). */
export interface Bucket {
	readonly shape: BucketShape;
	take(want: number): Promise<Grant>;
}
