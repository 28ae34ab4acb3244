import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Both compare the token first: a holder whose lease ran out (a long pause, a lost connection) must
// neither extend nor delete the lease someone else took since.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * One attempt at holding a Redis key exclusively: `SET key token NX PX ttl`, renewed every third of
 * the TTL while held, deleted only by the holder (compare-and-delete). A holder that dies stops
 * renewing, and the key is free again at most `ttlMs` later.
 */
export class RedisLease {
	readonly token = randomBytes(12).toString('hex');
	#timer: NodeJS.Timeout | undefined;
	#held = false;

	constructor(
		private readonly redis: Redis,
		/** The full key, prefix included. */
		readonly key: string,
		readonly ttlMs: number
	) {}

	get held(): boolean {
		return this.#held;
	}

	/** Takes the key if nobody holds it; true when it did. */
	async tryAcquire(): Promise<boolean> {
		this.#held = (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
		return this.#held;
	}

	/**
	 * Renews the lease every third of its TTL until `release`. `onLost` is called once when it is
	 * found taken by someone else, or when no renewal has gone through for a whole TTL (Redis out of
	 * reach): by then another holder may have it, and the work it guards should stop.
	 */
	keepAlive(onLost: (why: string) => void): void {
		let renewedAt = Date.now();
		const tick = async () => {
			try {
				const ok = (await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1;
				if (!this.#held) return;
				if (ok) {
					renewedAt = Date.now();
					return;
				}
				this.#lost(onLost, 'taken by another holder after it expired');
			} catch (error) {
				if (this.#held && Date.now() - renewedAt >= this.ttlMs) this.#lost(onLost, `not renewed for ${this.ttlMs} ms: ${(error as Error).message}`);
			}
		};
		this.#timer = setInterval(() => void tick(), Math.max(10, Math.floor(this.ttlMs / 3)));
		this.#timer.unref();
	}

	#lost(onLost: (why: string) => void, why: string) {
		this.#held = false;
		clearInterval(this.#timer);
		onLost(why);
	}

	/** Stops renewing and deletes the key if it is still ours; false when it no longer was. */
	async release(): Promise<boolean> {
		clearInterval(this.#timer);
		const wasHeld = this.#held;
		this.#held = false;
		if (!wasHeld) return false;
		return (await this.redis.eval(RELEASE, 1, this.key, this.token)) === 1;
	}
}
