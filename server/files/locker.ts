import type { Redis } from 'ioredis';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/server';
import { RedisLease } from '../kv/redis-lock.js';
import type { Logger } from '../logger.js';

export interface RedisLockerOptions {
	/** A command connection; the locker opens its own subscriber from it (`duplicate()`). */
	redis: Redis;
	/** REDIS_PREFIX: keys `<prefix>tus:lock:<upload id>`, channel `<prefix>tus:release`. */
	prefix: string;
	/** How long a lock outlives a holder that stopped renewing it (a dead gateway). */
	ttlMs?: number;
	/** How long a request waits for a lock before tus answers it with ERR_LOCK_TIMEOUT (as tus's own). */
	acquireTimeoutMs?: number;
	/** How often a waiting request tries again. */
	pollMs?: number;
	log: Logger;
}

/**
 * @tus/server's per-upload lock shared by every gateway, so two requests on one upload never write at
 * once even when they reach different gateways. A lock is a Redis key held with a token (see
 * `RedisLease`). Like tus's MemoryLocker, a request that finds the upload locked asks the holder to
 * let go: it publishes the upload id, and the gateway holding it cancels its request (tus's
 * `requestRelease`), which unlocks when it has stopped. That is what lets a client resume at once on
 * another gateway while its old PATCH still hangs on a half-open connection. A holder that died does
 * not answer; its lock expires `ttlMs` after its last renewal.
 */
export class RedisLocker implements Locker {
	readonly ttlMs: number;
	readonly acquireTimeoutMs: number;
	readonly pollMs: number;
	readonly redis: Redis;
	readonly channel: string;
	readonly #prefix: string;
	readonly #subscriber: Redis;
	readonly #ready: Promise<unknown>;
	/** The locks this process holds: upload id to their holders' release requests. */
	readonly #held = new Map<string, Set<RequestRelease>>();
	readonly log: Logger;

	constructor(options: RedisLockerOptions) {
		this.redis = options.redis;
		this.#prefix = options.prefix;
		this.ttlMs = options.ttlMs ?? 10_000;
		this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
		this.pollMs = options.pollMs ?? 50;
		this.log = options.log;
		this.channel = `${options.prefix}tus:release`;
		this.#subscriber = options.redis.duplicate();
		this.#subscriber.on('error', (error: Error) => this.log.warn(`tus locker subscriber: ${error.message}`));
		this.#subscriber.on('message', (_channel: string, id: string) => {
			for (const requestRelease of this.#held.get(id) ?? []) void Promise.resolve(requestRelease()).catch(() => {});
		});
		this.#ready = this.#subscriber.subscribe(this.channel);
		// Failing to subscribe is found out by the first lock, which awaits this.
		this.#ready.catch(() => {});
	}

	newLock(id: string): Lock {
		return new RedisLock(this, id);
	}

	keyOf(id: string): string {
		return `${this.#prefix}tus:lock:${id}`;
	}

	/** Resolves once this locker hears release requests. */
	ready(): Promise<unknown> {
		return this.#ready;
	}

	hold(id: string, requestRelease: RequestRelease): () => void {
		let holders = this.#held.get(id);
		if (!holders) this.#held.set(id, (holders = new Set()));
		holders.add(requestRelease);
		return () => {
			holders.delete(requestRelease);
			if (holders.size === 0 && this.#held.get(id) === holders) this.#held.delete(id);
		};
	}

	/** Asks whoever holds `id`, on any gateway, to let go. */
	async askRelease(id: string): Promise<void> {
		await this.redis.publish(this.channel, id);
	}

	/**
	 * Runs `work` holding the lock of `id` when nobody holds it; false at once, without asking the
	 * holder to let go, when somebody does. For housekeeping that must not meet a request.
	 */
	async ifUnlocked(id: string, work: () => Promise<void>): Promise<boolean> {
		const lease = new RedisLease(this.redis, this.keyOf(id), this.ttlMs);
		if (!(await lease.tryAcquire())) return false;
		lease.keepAlive(() => {});
		try {
			await work();
			return true;
		} finally {
			await lease.release().catch(() => {});
		}
	}

	/** Closes the subscriber; the command connection is the caller's. */
	async close(): Promise<void> {
		await this.#subscriber.quit().catch(() => this.#subscriber.disconnect());
	}
}

class RedisLock implements Lock {
	#lease: RedisLease;
	#unhold: (() => void) | undefined;

	constructor(
		private readonly locker: RedisLocker,
		private readonly id: string
	) {
		this.#lease = new RedisLease(locker.redis, locker.keyOf(id), locker.ttlMs);
	}

	async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
		const { locker } = this;
		await locker.ready();
		const deadline = Date.now() + locker.acquireTimeoutMs;
		// Asked again now and then: a holder that was between its lock and its first write, or on a
		// gateway that had not subscribed yet, may have missed the first request.
		let askedAt = 0;
		for (;;) {
			if (signal.aborted) throw ERRORS.ERR_LOCK_TIMEOUT;
			if (await this.#lease.tryAcquire()) break;
			if (Date.now() - askedAt >= 500) {
				askedAt = Date.now();
				await locker.askRelease(this.id);
			}
			if (Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
			await sleep(locker.pollMs, signal);
		}
		this.#unhold = locker.hold(this.id, requestRelease);
		this.#lease.keepAlive((why) => {
			locker.log.warn(`lost the lock of upload "${this.id}" (${why}): cancelling its request`);
			void Promise.resolve(requestRelease()).catch(() => {});
		});
	}

	async unlock(): Promise<void> {
		this.#unhold?.();
		this.#unhold = undefined;
		if (!(await this.#lease.release())) this.locker.log.warn(`the lock of upload "${this.id}" had expired before it was released`);
	}
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal.addEventListener('abort', done);
	});
}
