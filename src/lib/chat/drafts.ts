import type { KeyValueStorage } from './outbox';

/**
 * What the user had typed in each thread but not sent, kept in the browser's storage so it survives
 * switching threads and reloading: `parley:draft:<userId>:<threadId>`.
 */
export class Drafts {
	constructor(
		private readonly storage: KeyValueStorage | null,
		private readonly userId: string
	) {}

	#key(threadId: string): string {
		return `parley:draft:${this.userId}:${threadId}`;
	}

	get(threadId: string): string {
		try {
			return this.storage?.getItem(this.#key(threadId)) ?? '';
		} catch {
			return '';
		}
	}

	/** Saves the draft; an empty (or only whitespace) one is removed. */
	set(threadId: string, text: string): void {
		try {
			if (text.trim() === '') this.storage?.removeItem(this.#key(threadId));
			else this.storage?.setItem(this.#key(threadId), text);
		} catch {
			// Storage full or denied: the draft lives as long as the page.
		}
	}

	clear(threadId: string): void {
		this.set(threadId, '');
	}
}
