import type { Message } from '$lib/protocol';
import { NotConnectedError, RequestError, type ChatConnection } from './connection';
import { Outbox, type PendingMessage } from './outbox';

/**
 * Sends the outbox: in the order written, one at a time, each with its `clientId`, so a message sent
 * again after a lost ack is stored once. Keeps `pending` (what the outbox holds) for the UI.
 */
export class Sender {
	pending = $state.raw<readonly PendingMessage[]>([]);

	readonly #conn: ChatConnection;
	readonly #outbox: Outbox;
	readonly #stored: (message: Message) => Promise<void>;
	#flushing = false;
	#flushAgain = false;
	#flushRetry: ReturnType<typeof setTimeout> | null = null;
	#unlisten: Array<() => void> = [];

	/**
	 * @param options.me the signed-in user's id: the outbox is theirs (`parley:outbox:<id>`).
	 * @param options.storage where the outbox is kept; null keeps it for this page's life only.
	 * @param options.stored called with each message the server acknowledged, before the next is sent.
	 */
	constructor(options: { me: string; conn: ChatConnection; storage: Storage | null; stored: (message: Message) => Promise<void> }) {
		this.#conn = options.conn;
		this.#stored = options.stored;
		const key = `parley:outbox:${options.me}`;
		this.#outbox = new Outbox(options.storage, key, (items) => (this.pending = items));
		this.pending = this.#outbox.items;
		// Another tab of the same user changed the outbox: take its list, so neither overwrites the other.
		if (typeof window !== 'undefined' && options.storage) {
			const onStorage = (event: StorageEvent) => {
				if (event.key === key) this.#outbox.reload();
			};
			window.addEventListener('storage', onStorage);
			this.#unlisten.push(() => window.removeEventListener('storage', onStorage));
		}
	}

	/** Queues a message and sends it as soon as the connection allows. */
	send(threadId: string, text: string, replyToSeq?: number): void {
		this.#outbox.add(threadId, text, undefined, replyToSeq);
		void this.flush();
	}

	retry(clientId: string): void {
		this.#outbox.retry(clientId);
		void this.flush();
	}

	discard(clientId: string): void {
		this.#outbox.remove(clientId);
	}

	/** The server has `clientId` stored (its echo came, whatever became of the ack): it leaves the outbox. */
	settled(clientId: string): void {
		this.#outbox.remove(clientId);
	}

	/** Sends the outbox in order, one at a time, so messages keep the order they were written in. */
	async flush(): Promise<void> {
		if (this.#flushing) {
			// A run is under way but may be about to give up (its socket just died): run again after it.
			this.#flushAgain = true;
			return;
		}
		this.#flushing = true;
		if (this.#flushRetry) clearTimeout(this.#flushRetry);
		this.#flushRetry = null;
		try {
			for (let item = this.#outbox.next(); item && this.#conn.socket; item = this.#outbox.next()) {
				try {
					const { message } = await this.#conn.request('messages:send', { threadId: item.threadId, clientId: item.clientId, text: item.text, ...(item.replyToSeq ? { replyToSeq: item.replyToSeq } : {}) });
					this.#outbox.remove(item.clientId);
					await this.#stored(message);
				} catch (error) {
					if (error instanceof NotConnectedError) {
						// No answer on a socket that is still up: try again shortly (same clientId, so never twice).
						if (this.#conn.socket) this.#retryFlushIn(3000);
						break;
					}
					// Too fast, or a part of the server away for a moment (Redis restarting): nothing was stored, so
					// the same clientId goes again shortly.
					if (error instanceof RequestError && (error.code === 'rate_limited' || error.code === 'unavailable')) {
						this.#retryFlushIn(2000);
						break;
					}
					this.#outbox.fail(item.clientId, error instanceof Error ? error.message : String(error));
				}
			}
		} finally {
			this.#flushing = false;
		}
		if (this.#flushAgain) {
			this.#flushAgain = false;
			if (this.#conn.socket && this.#outbox.next()) void this.flush();
		}
	}

	stop(): void {
		if (this.#flushRetry) clearTimeout(this.#flushRetry);
		for (const off of this.#unlisten.splice(0)) off();
	}

	#retryFlushIn(ms: number): void {
		if (this.#flushRetry) return;
		this.#flushRetry = setTimeout(() => {
			this.#flushRetry = null;
			void this.flush();
		}, ms);
	}
}
