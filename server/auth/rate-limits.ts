import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../errors.js';

/** Limits on the gateway; every number can be overridden (tests use smaller ones). */
export interface AuthLimits {
	/** Failed sign-ins per account in `loginWindowSeconds` before it is locked for the rest of it. Default 10. */
	loginFailuresPerAccount: number;
	/** Failed sign-ins per client address in the window. Default 50. */
	loginFailuresPerIp: number;
	/** Default 900 (15 minutes). */
	loginWindowSeconds: number;
	/** Code emails per client address per 10 minutes. Default 30. */
	codesPerIp: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
	loginFailuresPerAccount: 10,
	loginFailuresPerIp: 50,
	loginWindowSeconds: 900,
	codesPerIp: 30
};

/** A counter that refuses with `rate_limited` once `points` are spent in its window. */
export class Limiter {
	constructor(
		private readonly limiter: RateLimiterAbstract,
		private readonly message: string
	) {}

	/** Throws `rate_limited` if the key has no points left, without spending one. */
	async check(key: string): Promise<void> {
		const res = await this.limiter.get(key);
		if (res && res.consumedPoints >= this.limiter.points) throw rateLimited(res.msBeforeNext / 1000, this.message);
	}

	/** Spends a point; throws `rate_limited` when there was none left. */
	async consume(key: string): Promise<void> {
		try {
			await this.limiter.consume(key);
		} catch (error) {
			if (error instanceof RateLimiterRes) throw rateLimited(error.msBeforeNext / 1000, this.message);
			throw error;
		}
	}

	/** Spends a point without refusing (the caller already failed for another reason). */
	async penalize(key: string): Promise<void> {
		await this.limiter.penalty(key, 1);
	}

	async reset(key: string): Promise<void> {
		await this.limiter.delete(key);
	}
}

/** @param options.prefix put before the Redis keys (`REDIS_PREFIX`); default `parley:` */
export function createLimiter(options: { redis?: Redis; prefix?: string; name: string; points: number; durationSeconds: number; message: string }): Limiter {
	const base = { keyPrefix: `${options.prefix ?? 'parley:'}rl:${options.name}`, points: options.points, duration: options.durationSeconds };
	const limiter = options.redis ? new RateLimiterRedis({ ...base, storeClient: options.redis }) : new RateLimiterMemory(base);
	return new Limiter(limiter, options.message);
}
