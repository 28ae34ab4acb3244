import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Bucket } from './bucket.js';

/** The longest single wait: a pacer asks again at least this often (a bucket others drew from, a shape changed). */
const MAX_WAIT_MS = 1000;

/**
 * Passes bytes on only as fast as every one of its buckets grants them (a user's and the node's), and
 * holds the rest back: the stream before it stops being read, so TCP slows the sender (an upload) or
 * the read of the file waits (a download). Nothing here ever fails a transfer: a wait is a timer, an
 * ask that throws lets the bytes through.
 *
 * Tokens one bucket granted while another had none are kept as this pacer's credit for the next
 * bytes, not thrown away; what is left when the transfer ends (at most one ask per bucket) is lost.
 * Destroying the stream (the request closed) clears its timer at once.
 */
export class Pacer extends Transform {
	readonly #buckets: readonly Bucket[];
	readonly #credit: number[];
	#timer: NodeJS.Timeout | undefined;
	#wake: (() => void) | undefined;

	constructor(buckets: readonly Bucket[]) {
		super();
		this.#buckets = buckets;
		this.#credit = buckets.map(() => 0);
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.#pace(chunk).then(
			() => callback(),
			(error: Error) => callback(error)
		);
	}

	override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#wake?.();
		callback(error);
	}

	async #pace(chunk: Buffer): Promise<void> {
		let offset = 0;
		while (offset < chunk.length && !this.destroyed) {
			const n = await this.#allowance(chunk.length - offset);
			if (n > 0) {
				this.push(chunk.subarray(offset, offset + n));
				offset += n;
			}
		}
	}

	/** Bytes every bucket has granted now (up to `want`), after waiting when one has none. */
	async #allowance(want: number): Promise<number> {
		let waitMs = 0;
		for (const [i, bucket] of this.#buckets.entries()) {
			const short = Math.min(want, bucket.shape.burst) - this.#credit[i];
			if (short <= 0) continue;
			try {
				const grant = await bucket.take(short);
				this.#credit[i] += grant.granted;
				if (this.#credit[i] <= 0) waitMs = Math.max(waitMs, grant.waitMs);
			} catch {
				// A bucket that cannot answer does not hold the transfer up.
				this.#credit[i] = want;
			}
			if (this.destroyed) return 0;
		}
		const n = Math.min(want, ...this.#credit);
		if (n > 0) {
			for (let i = 0; i < this.#credit.length; i++) this.#credit[i] -= n;
			return n;
		}
		await this.#sleep(Math.min(MAX_WAIT_MS, Math.max(1, waitMs)));
		return 0;
	}

	#sleep(ms: number): Promise<void> {
		return new Promise((resolve) => {
			this.#wake = () => {
				this.#wake = undefined;
				this.#timer = undefined;
				resolve();
			};
			this.#timer = setTimeout(this.#wake, ms);
		});
	}
}

/**
 * `readable` read through `pacer`: the stream to hand on. An error or early end on either side ends
 * both (Node's pipeline), so a closed request leaves no pacer waiting, and a failed write stops the
 * request's body.
 */
export function paced(readable: Readable, pacer: Pacer): Readable {
	return pipeline(readable, pacer, () => {});
}
