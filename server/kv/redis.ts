import type { Redis } from 'ioredis';
import type { KeyValueStore } from './kv.js';

/** The store over Redis; every key is put under `prefix` so several deployments can share a server. */
export class RedisStore implements KeyValueStore {
	constructor(
		private readonly redis: Redis,
		private readonly prefix = 'parley:'
	) {}

	#k(key: string) {
		return this.prefix + key;
	}

	async get(key: string) {
		return this.redis.get(this.#k(key));
	}
	async set(key: string, value: string, ttlMs: number) {
		await this.redis.set(this.#k(key), value, 'PX', ttlMs);
	}
	async setIfAbsent(key: string, value: string, ttlMs: number) {
		return (await this.redis.set(this.#k(key), value, 'PX', ttlMs, 'NX')) === 'OK';
	}
	async take(key: string) {
		return this.redis.getdel(this.#k(key));
	}
	async incr(key: string, ttlMs: number) {
		const [[, count]] = (await this.redis
			.multi()
			.incr(this.#k(key))
			.pexpire(this.#k(key), ttlMs, 'NX')
			.exec()) as [[Error | null, number], unknown];
		return count;
	}
	async ttl(key: string) {
		const ms = await this.redis.pttl(this.#k(key));
		return ms < 0 ? null : ms;
	}
	async del(...keys: string[]) {
		if (keys.length > 0) await this.redis.del(...keys.map((k) => this.#k(k)));
	}
	async close() {
		// The connection belongs to the caller, who may share it with other parts.
	}
}
