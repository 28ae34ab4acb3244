import { NotConnectedError, type ChatConnection } from './connection';
import type { Threads } from './threads.svelte';

/**
 * The user's own receipts (delivered, read) as reported to the server. A receipt the server did not take
 * (offline) is kept and reported again after the next connection. Other members' receipts arrive as
 * `message:status` and live on the thread (`Threads.applyStatus`).
 */
export class Receipts {
	readonly #threads: Threads;
	readonly #conn: ChatConnection;
	#deliverTimers = new Map<string, ReturnType<typeof setTimeout>>();
	/** Receipts the server has not confirmed yet (sent while offline): reported again on reconnect. */
	#unsent = new Map<string, { delivered: number; read: number }>();

	/** @param options.threads whose own `readSeq`, `deliveredSeq` and `unread` the receipts move. */
	constructor(options: { threads: Threads; conn: ChatConnection }) {
		this.#threads = options.threads;
		this.#conn = options.conn;
	}

	/** Tells the server the user has read `threadId` up to its newest message, when the page is seen. */
	markRead(threadId: string): void {
		const thread = this.#threads.byId[threadId];
		if (!thread || thread.lastSeq <= thread.readSeq) return;
		if (typeof document !== 'undefined' && document.visibilityState !== 'visible') return;
		const seq = thread.lastSeq;
		thread.readSeq = seq;
		thread.deliveredSeq = Math.max(thread.deliveredSeq, seq);
		thread.unread = 0;
		if (thread.mentions) thread.mentions = 0;
		this.#send(threadId, 'read', seq);
	}

	/** Reports `threadId` delivered up to `seq`, a moment later, so a burst of messages makes one receipt. */
	reportDelivered(threadId: string, seq: number): void {
		const thread = this.#threads.byId[threadId];
		if (thread) thread.deliveredSeq = Math.max(thread.deliveredSeq, seq);
		clearTimeout(this.#deliverTimers.get(threadId));
		this.#deliverTimers.set(
			threadId,
			setTimeout(() => {
				this.#deliverTimers.delete(threadId);
				this.#send(threadId, 'delivered', this.#threads.byId[threadId]?.deliveredSeq ?? seq);
			}, 250)
		);
	}

	/** Reports again what the server did not confirm (after a reconnection). */
	resendUnsent(): void {
		for (const [threadId, { delivered, read }] of [...this.#unsent]) {
			if (read) this.#send(threadId, 'read', read);
			if (delivered > read) this.#send(threadId, 'delivered', delivered);
		}
	}

	stop(): void {
		for (const t of this.#deliverTimers.values()) clearTimeout(t);
	}

	/** Reports a receipt; one the server did not take (offline) is kept and sent again on reconnect. */
	#send(threadId: string, kind: 'delivered' | 'read', seq: number): void {
		const unsent = this.#unsent.get(threadId) ?? { delivered: 0, read: 0 };
		unsent[kind] = Math.max(unsent[kind], seq);
		if (kind === 'read') unsent.delivered = Math.max(unsent.delivered, seq);
		this.#unsent.set(threadId, unsent);
		this.#conn.request(kind === 'read' ? 'messages:read' : 'messages:delivered', { threadId, seq }).then(
			() => {
				const now = this.#unsent.get(threadId);
				if (!now) return;
				if (now[kind] <= seq) now[kind] = 0;
				if (kind === 'read' && now.delivered <= seq) now.delivered = 0;
				if (now.delivered === 0 && now.read === 0) this.#unsent.delete(threadId);
			},
			(error) => {
				// Not a member any more, or the like: nothing to report again.
				if (!(error instanceof NotConnectedError)) this.#unsent.delete(threadId);
			}
		);
	}
}
