/**
 * Who is online: a count of live sockets per user. In this process's memory for one node; the cluster
 * issue adds a Redis implementation behind the same interface (sockets on every node count).
 */
export interface PresenceStore {
	/** Counts a new connection; true when it is the user's first (they just came online). */
	add(userId: string, connectionId: string): Promise<boolean>;
	/** Forgets a connection; true when it was the user's last (they just went offline). */
	remove(userId: string, connectionId: string): Promise<boolean>;
	/** Which of these users have at least one connection. */
	onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
	close(): Promise<void>;
}

/**
 * Valid for one process only, like every in-memory store (DESIGN.md, State). A user with one
 * connection, as most are, is held as that connection's id rather than a Set of one: a Set costs
 * each idle connection about 150 bytes of heap (docs/BENCHMARKS.md, capacity).
 */
export class MemoryPresenceStore implements PresenceStore {
	readonly #connections = new Map<string, string | Set<string>>();

	async add(userId: string, connectionId: string): Promise<boolean> {
		const held = this.#connections.get(userId);
		if (held === undefined) {
			this.#connections.set(userId, connectionId);
			return true;
		}
		if (held === connectionId) return true;
		if (typeof held === 'string') this.#connections.set(userId, new Set([held, connectionId]));
		else held.add(connectionId);
		return false;
	}

	async remove(userId: string, connectionId: string): Promise<boolean> {
		const held = this.#connections.get(userId);
		if (held === connectionId) {
			this.#connections.delete(userId);
			return true;
		}
		if (typeof held !== 'object' || !held.delete(connectionId)) return false;
		if (held.size === 1) this.#connections.set(userId, held.values().next().value!);
		return false;
	}

	async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
		return new Set(userIds.filter((id) => this.#connections.has(id)));
	}

	async close(): Promise<void> {
		this.#connections.clear();
	}
}
