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

/** Valid for one process only, like every in-memory store (DESIGN.md, State). */
export class MemoryPresenceStore implements PresenceStore {
	readonly #connections = new Map<string, Set<string>>();

	async add(userId: string, connectionId: string): Promise<boolean> {
		let set = this.#connections.get(userId);
		if (!set) this.#connections.set(userId, (set = new Set()));
		set.add(connectionId);
		return set.size === 1;
	}

	async remove(userId: string, connectionId: string): Promise<boolean> {
		const set = this.#connections.get(userId);
		if (!set || !set.delete(connectionId)) return false;
		if (set.size > 0) return false;
		this.#connections.delete(userId);
		return true;
	}

	async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
		return new Set(userIds.filter((id) => this.#connections.has(id)));
	}

	async close(): Promise<void> {
		this.#connections.clear();
	}
}
