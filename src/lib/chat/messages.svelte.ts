import type { Message } from '$lib/protocol';
import { RequestError, type ChatConnection } from './connection';
import type { PendingMessage } from './outbox';
import type { Threads } from './threads.svelte';
import { contiguousTail, deliveryState, isStale, mergeMessages, placeLive, type DeliveryState } from './timeline';

/** One entry of a thread's timeline as the UI shows it: a stored message or one still in the outbox. */
export type TimelineItem =
	| { kind: 'stored'; message: Message; mine: boolean; status: DeliveryState | null }
	| { kind: 'pending'; pending: PendingMessage };

/**
 * The messages loaded per thread: a window without holes (see `timeline.ts`) that grows backwards page
 * by page and forwards by live messages, and is filled by seq after anything was missed.
 */
export class Messages {
	/** Loaded messages per thread, ascending; replaced (not mutated) on change, so 10,000 stay cheap. */
	byThread = $state.raw<Record<string, Message[]>>({});
	olderAvailable = $state<Record<string, boolean>>({});

	readonly #me: string;
	readonly #conn: ChatConnection;
	readonly #threads: Threads;
	#loadingNewest = new Map<string, Promise<void>>();
	/** Message actions: per loaded thread, the change number up to which every change is applied. */
	#changeSeq = new Map<string, number>();
	#filling = new Map<string, Promise<void>>();

	/** @param options.threads the summaries: `lastSeq` says whether the newest page is complete, the peer's receipts give the ticks. */
	constructor(options: { me: string; conn: ChatConnection; threads: Threads }) {
		this.#me = options.me;
		this.#conn = options.conn;
		this.#threads = options.threads;
	}

	/** `threadId`'s loaded messages, then the pending ones not stored yet, as the UI shows them. */
	timeline(threadId: string, pending: readonly PendingMessage[]): TimelineItem[] {
		const thread = this.#threads.byId[threadId];
		const peer = { deliveredSeq: thread?.peerDeliveredSeq ?? 0, readSeq: thread?.peerReadSeq ?? 0 };
		const stored = this.byThread[threadId] ?? [];
		const storedIds = new Set<string>();
		const items: TimelineItem[] = stored.map((message) => {
			const mine = message.senderId === this.#me;
			if (mine) storedIds.add(message.clientId);
			return { kind: 'stored', message, mine, status: mine ? deliveryState(message.seq, peer) : null };
		});
		for (const p of pending) if (p.threadId === threadId && !storedIds.has(p.clientId)) items.push({ kind: 'pending', pending: p });
		return items;
	}

	/** Loads `threadId`'s newest page (one load at a time per thread), and anything stored after it was read. */
	loadNewest(threadId: string): Promise<void> {
		const running = this.#loadingNewest.get(threadId);
		if (running) return running;
		const job = (async () => {
			const { messages, hasMore, lastChangeSeq } = await this.#conn.request('messages:list', { threadId, limit: 50 });
			// Read before the page: every later change is in the page already or comes from the feed.
			if (!this.#changeSeq.has(threadId)) this.#changeSeq.set(threadId, lastChangeSeq ?? 0);
			this.#set(threadId, mergeMessages(this.byThread[threadId] ?? [], messages));
			this.olderAvailable[threadId] = hasMore;
			// A message stored after the page was read arrived while the thread was not loaded yet, and was
			// passed over: fetch what the thread has beyond the page.
			const list = this.byThread[threadId];
			const tail = list.length > 0 ? list[list.length - 1].seq : 0;
			if ((this.#threads.byId[threadId]?.lastSeq ?? 0) > tail) await this.catchUp(threadId);
		})().finally(() => this.#loadingNewest.delete(threadId));
		this.#loadingNewest.set(threadId, job);
		return job;
	}

	/** Loads the page before the oldest loaded message; resolves to how many came. */
	async loadOlder(threadId: string): Promise<number> {
		const list = this.byThread[threadId];
		if (!list || list.length === 0 || !this.olderAvailable[threadId]) return 0;
		const { messages, hasMore } = await this.#conn.request('messages:list', { threadId, beforeSeq: list[0].seq, limit: 50 });
		this.#set(threadId, mergeMessages(this.byThread[threadId] ?? [], messages));
		this.olderAvailable[threadId] = hasMore;
		return messages.length;
	}

	/** Fetches everything after the last seq held, page by page, until the server has no more. */
	async catchUp(threadId: string): Promise<void> {
		for (let guard = 0; guard < 1000; guard++) {
			const list = this.byThread[threadId] ?? [];
			const afterSeq = contiguousTail(list);
			const { messages, hasMore } = await this.#conn.request('messages:list', { threadId, afterSeq, limit: 100 });
			this.#set(threadId, mergeMessages(this.byThread[threadId] ?? [], messages));
			if (!hasMore || messages.length === 0) return;
		}
	}

	/**
	 * Fills every hole a disconnection left in the threads loaded. A thread the server no longer shows
	 * the user (they were removed from a group while offline) is handed to `gone`.
	 */
	catchUpAll(gone: (threadId: string) => void): Promise<void[]> {
		return Promise.all(
			Object.keys(this.byThread).map((id) =>
				Promise.all([this.catchUp(id), this.fillChanges(id)]).then(() => undefined, (error) => {
					if (error instanceof RequestError && error.code === 'not_found') gone(id);
					else throw error;
				})
			)
		);
	}

	/**
	 * Takes a message that arrived live: appended when it is the next seq of a loaded thread. A `gap`
	 * (something before it was missed) is for the caller to fill with `catchUp`.
	 */
	addLive(message: Message): ReturnType<typeof placeLive> {
		const list = this.byThread[message.threadId];
		const place = placeLive(list, message);
		if (place === 'append') this.#set(message.threadId, [...list!, message]);
		return place;
	}

	/**
	 * `message:changed` (message actions): the message's new state replaces the one held, unless that
	 * is newer. The thread's change number advances when this is the next one; past a gap the changes
	 * missed are fetched (`fillChanges`). A thread not loaded needs nothing: its pages come as they are.
	 */
	changed(message: Message): void {
		const known = this.#changeSeq.get(message.threadId);
		if (known === undefined) return;
		this.#replace(message);
		const seq = message.changeSeq ?? 0;
		if (seq === known + 1) this.#changeSeq.set(message.threadId, seq);
		else if (seq > known + 1) void this.fillChanges(message.threadId).catch(() => undefined);
	}

	/** Fetches the changes after the thread's change number (after a gap, or a reconnect); one run at a time. */
	fillChanges(threadId: string): Promise<void> {
		const running = this.#filling.get(threadId);
		if (running) return running;
		const job = (async () => {
			for (let guard = 0; guard < 1000; guard++) {
				const after = this.#changeSeq.get(threadId);
				if (after === undefined) return;
				const page = await this.#conn.request('messages:changes', { threadId, afterChangeSeq: after });
				for (const m of page.messages) this.#replace(m);
				const last = page.messages.at(-1)?.changeSeq ?? after;
				this.#changeSeq.set(threadId, page.hasMore ? last : Math.max(last, page.lastChangeSeq));
				if (!page.hasMore) return;
			}
		})().finally(() => this.#filling.delete(threadId));
		this.#filling.set(threadId, job);
		return job;
	}

	#replace(message: Message): void {
		const list = this.byThread[message.threadId];
		const i = list?.findIndex((m) => m.seq === message.seq) ?? -1;
		if (!list || i < 0 || isStale(message, list[i])) return;
		this.#set(message.threadId, list.with(i, message));
	}

	/** `file:deleted`: the file's messages stay, showing the file as gone (as `messages:list` will). */
	fileDeleted(fileId: string, threadId: string): void {
		const list = this.byThread[threadId];
		if (!list?.some((m) => m.file?.id === fileId)) return;
		this.#set(
			threadId,
			list.map((m) => (m.file?.id === fileId ? { ...m, file: { id: fileId, deleted: true } } : m))
		);
	}

	/** `thread:removed`: the thread's messages go at once. */
	drop(threadId: string): void {
		if (!(threadId in this.byThread)) return;
		const { [threadId]: _gone, ...rest } = this.byThread;
		this.byThread = rest;
		delete this.olderAvailable[threadId];
		this.#changeSeq.delete(threadId);
	}

	#set(threadId: string, list: Message[]): void {
		this.byThread = { ...this.byThread, [threadId]: list };
	}
}
