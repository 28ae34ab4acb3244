import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import { refillMs, type Bucket, type BucketShape, type Grant } from './bucket.js';
import type { MemoryBuckets } from './memory-bucket.js';

/**
 * `take` of bucket.ts in one script, so every gateway of a cluster draws from one bucket per user: the
 * clock is Redis's (TIME, in whole milliseconds, which a double keeps exactly), the state a hash
 * `tokens at` that expires once the bucket would be full again anyway.
 * KEYS[1] the bucket; ARGV rate (bytes/s), burst, want, ttl (ms). Answers { granted, waitMs }.
 */
const SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local asked = math.max(0, math.min(math.floor(tonumber(ARGV[3])), burst))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(s[1])
local at = tonumber(s[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  at = now
end
local granted = math.min(asked, math.floor(tokens))
tokens = tokens - granted
local wait = 0
if granted < asked then wait = math.max(1, math.ceil((asked - granted - tokens) * 1000 / rate)) end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', at))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return { granted, wait }
`;
const SHA = createHash('sha1').update(SCRIPT).digest('hex');

export interface RedisBucketsOptions {
	redis: Redis;
	/** Keys are `<prefix><name>:<key>`. */
	prefix: string;
	name: string;
	shape: BucketShape;
	/** Used while Redis cannot answer: this node's own buckets of the same shape. */
	fallback: MemoryBuckets;
	/** How long an ask waits for Redis before using the fallback. Default 1 s (an answer takes well under 1 ms). */
	timeoutMs?: number;
	log: Logger;
}

/**
 * A user's bucket shared by every gateway through Redis. While Redis is down or slow, asks are answered
 * by this node's in-memory bucket for the user: a transfer is paced per node then, never failed.
 */
export class RedisBuckets {
	readonly shape: BucketShape;
	readonly #options: RedisBucketsOptions;
	readonly #ttlMs: number;
	readonly #timeoutMs: number;
	#warnedAt = 0;

	constructor(options: RedisBucketsOptions) {
		this.#options = options;
		this.shape = options.shape;
		// Full again by then: nothing to keep.
		this.#ttlMs = refillMs(options.shape) + 1000;
		this.#timeoutMs = options.timeoutMs ?? 1000;
	}

	bucket(key: string): Bucket {
		return { shape: this.shape, take: (want) => this.take(key, want) };
	}

	async take(key: string, want: number): Promise<Grant> {
		const { redis, fallback } = this.#options;
		if (redis.status !== 'ready') return this.#fallback(key, want, `the connection is ${redis.status}`);
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.#timeoutMs)));
		try {
			const answer = await Promise.race([this.#run(`${this.#options.prefix}${this.#options.name}:${key}`, want), timeout]);
			if (answer === 'timeout') return this.#fallback(key, want, `no answer within ${this.#timeoutMs} ms`);
			return answer;
		} catch (error) {
			return this.#fallback(key, want, (error as Error).message);
		} finally {
			clearTimeout(timer);
		}
	}

	async #run(key: string, want: number): Promise<Grant> {
		const { redis, shape } = this.#options;
		const args = [key, shape.rate, shape.burst, Math.floor(want), this.#ttlMs];
		let reply: unknown;
		try {
			reply = await redis.evalsha(SHA, 1, ...args);
		} catch (error) {
			if (!/NOSCRIPT/.test((error as Error).message)) throw error;
			reply = await redis.eval(SCRIPT, 1, ...args);
		}
		const [granted, waitMs] = reply as [number, number];
		return { granted: Number(granted), waitMs: Number(waitMs) };
	}

	#fallback(key: string, want: number, why: string): Grant {
		const now = Date.now();
		if (now - this.#warnedAt > 60_000) {
			this.#warnedAt = now;
			this.#options.log.warn(`transfer rates: Redis cannot pace (${why}); this node paces its own transfers until it can`);
		}
		return this.#options.fallback.take(key, want);
	}
}
