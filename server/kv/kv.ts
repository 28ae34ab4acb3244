/**
 * Short-lived shared state: verification codes, chat tickets, cool-downs. In Redis when `REDIS_URL`
 * is set (shared by every node), else in this process's memory (valid for one process only).
 * Every operation a caller relies on for safety (take, setIfAbsent, incr) is atomic in both.
 */
export interface KeyValueStore {
	get(key: string): Promise<string | null>;
	set(key: string, value: string, ttlMs: number): Promise<void>;
	/** Sets only when the key is absent; true when it did. */
	setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
	/** Gets and deletes in one step: of two concurrent takers, one gets the value. */
	take(key: string): Promise<string | null>;
	/** Adds one and returns the new count; the TTL is set when the key is created. */
	incr(key: string, ttlMs: number): Promise<number>;
	/** Milliseconds the key has left, or null when it is absent. */
	ttl(key: string): Promise<number | null>;
	del(...keys: string[]): Promise<void>;
	close(): Promise<void>;
}
