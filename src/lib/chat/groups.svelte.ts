import type { GroupRole, MessagesReadersResponse, Thread } from '$lib/protocol';
import type { ChatConnection } from './connection';
import type { Threads } from './threads.svelte';

/**
 * The requests that make and change groups (docs/PROTOCOL.md, "Groups"). Each resolves once the server
 * acked it, with the thread as it is now put in the list at once (its `thread:updated` follows); each
 * rejects with the ack's `RequestError` (its message is for people) or `NotConnectedError`. The
 * components use it as `ChatClient.groups`.
 */
export class Groups {
	readonly #conn: ChatConnection;
	readonly #threads: Threads;
	readonly #left: (threadId: string) => void;

	/** @param options.left drops a thread the user left (also when its `thread:removed` does not come). */
	constructor(options: { conn: ChatConnection; threads: Threads; left: (threadId: string) => void }) {
		this.#conn = options.conn;
		this.#threads = options.threads;
		this.#left = options.left;
	}

	/** A new group of the user (owner) and `memberIds` (friends). */
	async create(title: string, memberIds: string[], topic?: string): Promise<Thread> {
		const { thread } = await this.#conn.request('groups:create', topic ? { title, memberIds, topic } : { title, memberIds });
		this.#threads.put(thread);
		return thread;
	}

	async add(threadId: string, userIds: string[]): Promise<Thread> {
		return this.#put((await this.#conn.request('groups:add', { threadId, userIds })).thread);
	}

	async remove(threadId: string, userId: string): Promise<Thread> {
		return this.#put((await this.#conn.request('groups:remove', { threadId, userId })).thread);
	}

	/** Leaves the group; the thread goes at once here (the other devices get `thread:removed`). */
	async leave(threadId: string): Promise<void> {
		await this.#conn.request('groups:leave', { threadId });
		this.#left(threadId);
	}

	async update(threadId: string, changes: { title?: string; topic?: string }): Promise<Thread> {
		return this.#put((await this.#conn.request('groups:update', { threadId, ...changes })).thread);
	}

	async setRole(threadId: string, userId: string, role: GroupRole): Promise<Thread> {
		return this.#put((await this.#conn.request('groups:role', { threadId, userId, role })).thread);
	}

	/** Who of the other members has read the message at `seq`, and who has only received it. */
	readers(threadId: string, seq: number): Promise<MessagesReadersResponse> {
		return this.#conn.request('messages:readers', { threadId, seq });
	}

	#put(thread: Thread): Thread {
		this.#threads.put(thread);
		return thread;
	}
}
