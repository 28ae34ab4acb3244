import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { RedisLease } from '../kv/redis-lock.js';

/**
 * What makes the quota hold when creations race: one creation per user at a time (the quota check and
 * its reservation happen together), and the bytes promised to creations that have passed the check but
 * whose upload record is not on disk yet. In memory for one process; in Redis for a cluster, where two
 * creations by one user can reach two gateways.
 */
export interface Admission {
	/** Runs `work` while no other creation by `userId` runs (on any gateway, with Redis). */
	serialize<T>(userId: string, work: () => Promise<T>): Promise<T>;
	/** Bytes reserved for `userId`'s creations in progress. */
	reserved(userId: string): Promise<number>;
	reserve(userId: string, uploadId: string, size: number): Promise<void>;
	release(userId: string, uploadId: string): Promise<void>;
	/** Whether this process holds a reservation for the upload (the sweep leaves it alone). */
	holds(uploadId: string): boolean;
}

/** One process: a promise chain per user and a map of reservations. */
export class MemoryAdmission implements Admission {
	readonly #creating = new Map<string, Promise<unknown>>();
	readonly #reserved = new Map<string, { userId: string; size: number }>();

	serialize<T>(userId: string, work: () => Promise<T>): Promise<T> {
		const before = this.#creating.get(userId) ?? Promise.resolve();
		const result = before.then(work, work);
		const settled = result.catch(() => undefined);
		this.#creating.set(userId, settled);
		void settled.then(() => {
			if (this.#creating.get(userId) === settled) this.#creating.delete(userId);
		});
		return result;
	}

	async reserved(userId: string): Promise<number> {
		let sum = 0;
		for (const r of this.#reserved.values()) if (r.userId === userId) sum += r.size;
		return sum;
	}

	async reserve(userId: string, uploadId: string, size: number): Promise<void> {
		this.#reserved.set(uploadId, { userId, size });
	}

	async release(_userId: string, uploadId: string): Promise<void> {
		this.#reserved.delete(uploadId);
	}

	holds(uploadId: string): boolean {
		return this.#reserved.has(uploadId);
	}
}

export interface RedisAdmissionOptions {
	redis: Redis;
	/** REDIS_PREFIX: keys `<prefix>files:creating:<user>` and `<prefix>files:reserved:<user>`. */
	prefix: string;
	/** How long a reservation outlives a gateway that died before releasing it. */
	reservationTtlMs?: number;
	/** How long the per-user creation lock outlives a gateway that died holding it. */
	lockTtlMs?: number;
	/** How long a creation waits for the one before it. */
	waitMs?: number;
}

/**
 * The cluster's: the per-user lock is a Redis lease (a creation takes milliseconds, so waiting is
 * polling), and the reservations a hash per user, upload id to `size expiresAt`. Every reservation
 * carries its own expiry, so one left by a dead gateway stops counting after `reservationTtlMs` even
 * while the user keeps creating (which keeps the hash itself alive).
 */
export class RedisAdmission implements Admission {
	readonly #local = new Set<string>();
	readonly #redis: Redis;
	readonly #prefix: string;
	readonly #reservationTtlMs: number;
	readonly #lockTtlMs: number;
	readonly #waitMs: number;

	constructor(options: RedisAdmissionOptions) {
		this.#redis = options.redis;
		this.#prefix = options.prefix;
		// The reservation only has to bridge the quota check and tus writing the upload's record, but
		// it lasts the creation request, which with creation-with-upload carries a body.
		this.#reservationTtlMs = options.reservationTtlMs ?? 120_000;
		this.#lockTtlMs = options.lockTtlMs ?? 10_000;
		this.#waitMs = options.waitMs ?? 20_000;
	}

	#reservedKey(userId: string) {
		return `${this.#prefix}files:reserved:${userId}`;
	}

	async serialize<T>(userId: string, work: () => Promise<T>): Promise<T> {
		const lease = new RedisLease(this.#redis, `${this.#prefix}files:creating:${userId}`, this.#lockTtlMs);
		const deadline = Date.now() + this.#waitMs;
		while (!(await lease.tryAcquire())) {
			if (Date.now() >= deadline) throw new AppError('conflict', 'another upload of yours is being created and is taking too long; try again in a moment');
			await new Promise((resolve) => setTimeout(resolve, 15 + Math.random() * 20));
		}
		// A check that outlives its lease could pass alongside another: it fails instead.
		let lost: string | undefined;
		lease.keepAlive((why) => (lost = why));
		try {
			const result = await work();
			if (lost) throw new Error(`the creation lock of user "${userId}" was lost while checking the quota (${lost})`);
			return result;
		} finally {
			await lease.release().catch(() => {});
		}
	}

	async reserved(userId: string): Promise<number> {
		const key = this.#reservedKey(userId);
		const all = await this.#redis.hgetall(key);
		const now = Date.now();
		let sum = 0;
		const expired: string[] = [];
		for (const [uploadId, value] of Object.entries(all)) {
			const [size, expiresAt] = value.split(' ').map(Number);
			if (expiresAt > now) sum += size;
			else expired.push(uploadId);
		}
		if (expired.length > 0) await this.#redis.hdel(key, ...expired);
		return sum;
	}

	async reserve(userId: string, uploadId: string, size: number): Promise<void> {
		const key = this.#reservedKey(userId);
		this.#local.add(uploadId);
		await this.#redis
			.multi()
			.hset(key, uploadId, `${size} ${Date.now() + this.#reservationTtlMs}`)
			.pexpire(key, this.#reservationTtlMs)
			.exec();
	}

	async release(userId: string, uploadId: string): Promise<void> {
		this.#local.delete(uploadId);
		await this.#redis.hdel(this.#reservedKey(userId), uploadId);
	}

	holds(uploadId: string): boolean {
		return this.#local.has(uploadId);
	}
}
