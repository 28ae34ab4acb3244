import type { KeyValueStore } from './kv.js';

/** One process's store; entries expire lazily on read and by a periodic sweep. */
export class MemoryStore implements KeyValueStore {
	#entries = new Map<string, { value: string; expiresAt: number }>();
	#sweep = setInterval(() => this.#sweepExpired(), 30_000).unref();

	#live(key: string) {
		const entry = this.#entries.get(key);
		if (!entry) return undefined;
		if (entry.expiresAt <= Date.now()) {
			this.#entries.delete(key);
			return undefined;
		}
		return entry;
	}

	#sweepExpired() {
		const now = Date.now();
		for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
	}

	async get(key: string) {
		return this.#live(key)?.value ?? null;
	}
	async set(key: string, value: string, ttlMs: number) {
		this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
	}
	async setIfAbsent(key: string, value: string, ttlMs: number) {
		if (this.#live(key)) return false;
		this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
		return true;
	}
	async take(key: string) {
		const entry = this.#live(key);
		this.#entries.delete(key);
		return entry?.value ?? null;
	}
	async incr(key: string, ttlMs: number) {
		const entry = this.#live(key);
		const next = entry ? Number(entry.value) + 1 : 1;
		this.#entries.set(key, { value: String(next), expiresAt: entry?.expiresAt ?? Date.now() + ttlMs });
		return next;
	}
	async ttl(key: string) {
		const entry = this.#live(key);
		return entry ? entry.expiresAt - Date.now() : null;
	}
	async del(...keys: string[]) {
		for (const key of keys) this.#entries.delete(key);
	}
	async close() {
		clearInterval(this.#sweep);
		this.#entries.clear();
	}
}
