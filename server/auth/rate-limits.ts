import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../errors.js';

/**
 * Limits on the gateway; every number can be overridden (tests use smaller ones). Sign-in follows
 * rate-limiter-flexible's "login endpoint protection": failures are counted per account and client
 * address, and per address, never per account alone, so nobody can lock an owner out from elsewhere.
 */
export interface AuthLimits {
	/**
	 * Failed sign-ins to one account from one client address in `loginWindowSeconds` before that
	 * address is refused for this account for the rest of the window; a success clears the count. Default 10.
	 */
	loginFailuresPerAccountAndIp: number;
	/** Default 900 (15 minutes). */
	loginWindowSeconds: number;
	/** Failed sign-ins per client address, over all accounts, in `loginIpWindowSeconds`. Default 100. */
	loginFailuresPerIp: number;
	/** Default 86400 (a day). */
	loginIpWindowSeconds: number;
	/** Code emails per client address per 10 minutes. Default 30. */
	codesPerIp: number;
	/**
	 * `GET /api/auth/availability` look-ups per client address per minute. Default 60: the register form
	 * asks once per pause in typing (debounced), a few dozen times for one name at most.
	 */
	availabilityPerIpPerMinute: number;
	/** Look-ups per client address per day. Default 1000 (a busy shared address signing many people up). */
	availabilityPerIpPerDay: number;
	/**
	 * `POST /api/auth/password-check` look-ups per client address per minute. Default 60: the register
	 * and reset forms ask once per pause in typing (debounced).
	 */
	passwordCheckPerIpPerMinute: number;
	/** Default 1000 a day, as for availability. */
	passwordCheckPerIpPerDay: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
	loginFailuresPerAccountAndIp: 10,
	loginWindowSeconds: 900,
	loginFailuresPerIp: 100,
	loginIpWindowSeconds: 86_400,
	codesPerIp: 30,
	availabilityPerIpPerMinute: 60,
	availabilityPerIpPerDay: 1000,
	passwordCheckPerIpPerMinute: 60,
	passwordCheckPerIpPerDay: 1000
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
