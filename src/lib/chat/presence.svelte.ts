import type { ChatConnection } from './connection';

const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 2000;

/** Who is online, and who is typing where: both only as live events and summaries report them. */
export class Presence {
	online = $state<Record<string, boolean>>({});
	/** threadId to the ids of the members typing there now. */
	typing = $state<Record<string, string[]>>({});

	readonly #me: string;
	readonly #conn: ChatConnection;
	#typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
	#typingSentAt = new Map<string, number>();

	/**
	 * @param options.me the signed-in user's id (their own typing events are not shown).
	 * @param options.conn the connection `typing` is emitted on.
	 */
	constructor(options: { me: string; conn: ChatConnection }) {
		this.#me = options.me;
		this.#conn = options.conn;
	}

	isOnline(userId: string): boolean {
		return this.online[userId] ?? false;
	}

	/** Lets the other members know the user is typing (at most every 2 s). */
	typingIn(threadId: string): void {
		const last = this.#typingSentAt.get(threadId) ?? 0;
		if (Date.now() - last < TYPING_SENT_EVERY_MS) return;
		this.#typingSentAt.set(threadId, Date.now());
		this.#conn.socket?.emit('typing', { threadId });
	}

	/** The user sent a message in `threadId`: it ends their "typing…", so typing the next one must say so at once, not up to 2 s later. */
	sent(threadId: string): void {
		this.#typingSentAt.delete(threadId);
	}

	/** `typing` event: shows `userId` typing in `threadId` for a few seconds. */
	onTyping(threadId: string, userId: string): void {
		if (userId === this.#me) return;
		const key = `${threadId}:${userId}`;
		clearTimeout(this.#typingTimers.get(key));
		if (!(this.typing[threadId] ?? []).includes(userId)) this.typing[threadId] = [...(this.typing[threadId] ?? []), userId];
		this.#typingTimers.set(
			key,
			setTimeout(() => this.clearTyping(threadId, userId), TYPING_SHOWN_MS)
		);
	}

	/** `userId` stopped typing in `threadId` (their message came, or the indication timed out). */
	clearTyping(threadId: string, userId: string): void {
		clearTimeout(this.#typingTimers.get(`${threadId}:${userId}`));
		this.#typingTimers.delete(`${threadId}:${userId}`);
		const now = this.typing[threadId];
		if (now?.includes(userId)) this.typing[threadId] = now.filter((id) => id !== userId);
	}

	stop(): void {
		for (const t of this.#typingTimers.values()) clearTimeout(t);
	}
}
