/**
 * Messages written but not yet acknowledged by the server. Kept in the browser's storage, so a message
 * typed offline survives a reload and goes out on the next connection, with the same `clientId`: the
 * server stores it at most once however often it is sent.
 */
export interface PendingMessage {
	clientId: string;
	threadId: string;
	text: string;
	createdAt: string;
	state: 'sending' | 'failed';
	/** Why the server refused it (state `failed`). */
	error?: string;
	/** Message actions: the seq of the message of the thread it replies to. */
	replyToSeq?: number;
}

/** The part of `Storage` the outbox needs (localStorage, or a Map in tests). */
export interface KeyValueStorage {
	getItem(key: string): string | null;
	setItem(key: string, value: string): void;
	removeItem(key: string): void;
}

export class Outbox {
	#items: PendingMessage[];

	constructor(
		private readonly storage: KeyValueStorage | null,
		private readonly key: string,
		private readonly onChange: (items: readonly PendingMessage[]) => void = () => {}
	) {
		this.#items = this.#load();
	}

	#load(): PendingMessage[] {
		try {
			const raw = this.storage?.getItem(this.key);
			const parsed: unknown = raw ? JSON.parse(raw) : [];
			if (!Array.isArray(parsed)) return [];
			return parsed.filter(
				(p): p is PendingMessage =>
					typeof p === 'object' && p !== null && typeof p.clientId === 'string' && typeof p.threadId === 'string' && typeof p.text === 'string'
			);
		} catch {
			return [];
		}
	}

	#save() {
		try {
			if (this.#items.length === 0) this.storage?.removeItem(this.key);
			else this.storage?.setItem(this.key, JSON.stringify(this.#items));
		} catch {
			// Storage full or denied: the outbox still works for this page's life.
		}
		this.onChange(this.#items);
	}

	/** Takes the list from storage again (another tab of the same user changed it). */
	reload(): void {
		this.#items = this.#load();
		this.onChange(this.#items);
	}

	get items(): readonly PendingMessage[] {
		return this.#items;
	}

	/** The next message to send: the oldest one still `sending`. */
	next(): PendingMessage | undefined {
		return this.#items.find((p) => p.state === 'sending');
	}

	add(threadId: string, text: string, clientId: string = crypto.randomUUID(), replyToSeq?: number): PendingMessage {
		const item: PendingMessage = { clientId, threadId, text, createdAt: new Date().toISOString(), state: 'sending' };
		if (replyToSeq !== undefined) item.replyToSeq = replyToSeq;
		this.#items = [...this.#items, item];
		this.#save();
		return item;
	}

	/** Drops a message the server has stored (acked, or seen come back as `message:new`). */
	remove(clientId: string): boolean {
		const before = this.#items.length;
		this.#items = this.#items.filter((p) => p.clientId !== clientId);
		if (this.#items.length === before) return false;
		this.#save();
		return true;
	}

	fail(clientId: string, error: string): void {
		this.#items = this.#items.map((p) => (p.clientId === clientId ? { ...p, state: 'failed', error } : p));
		this.#save();
	}

	/** Puts a failed message back in line, at its original place. */
	retry(clientId: string): void {
		this.#items = this.#items.map((p) => (p.clientId === clientId ? { ...p, state: 'sending', error: undefined } : p));
		this.#save();
	}
}
