import { refillMs, take, type Bucket, type BucketShape, type BucketState, type Grant } from './bucket.js';

/**
 * Buckets of one shape in this process's memory, by key (a user's id; one key for the whole node). A
 * bucket left alone until it is full again is the same as no bucket: those are forgotten now and then,
 * so the map holds only the users transferring lately.
 */
export class MemoryBuckets {
	readonly #states = new Map<string, BucketState>();
	readonly #idleMs: number;
	#sweptAt = 0;

	constructor(
		readonly shape: BucketShape,
		private readonly now: () => number = () => performance.timeOrigin + performance.now()
	) {
		this.#idleMs = refillMs(shape);
	}

	take(key: string, want: number): Grant {
		const now = this.now();
		this.#sweep(now);
		const { state, grant } = take(this.shape, this.#states.get(key), now, want);
		this.#states.set(key, state);
		return grant;
	}

	/** One key's bucket. */
	bucket(key: string): Bucket {
		return { shape: this.shape, take: async (want) => this.take(key, want) };
	}

	/** How many buckets are kept (for tests). */
	get size(): number {
		return this.#states.size;
	}

	#sweep(now: number): void {
		if (now - this.#sweptAt < this.#idleMs) return;
		this.#sweptAt = now;
		for (const [key, state] of this.#states) if (now - state.at >= this.#idleMs) this.#states.delete(key);
	}
}
