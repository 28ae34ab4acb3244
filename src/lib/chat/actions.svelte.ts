import { snippetOf, type Message, type MessageEdit } from '$lib/protocol';
import type { ChatConnection } from './connection';

/** A reply being written: the quoted message, shown above the composer until sent or cancelled. */
export interface ReplyDraft {
	threadId: string;
	seq: number;
	senderId: string;
	snippet: string;
}

/** The quick reactions every message's menu offers (any other emoji can be typed). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

/** What a message says in a quote: its text, a file's name. */
export function quoteText(message: Message): string {
	if (message.deleted) return 'Message deleted';
	if (message.file && !message.file.deleted) return message.file.name;
	return message.text ?? '';
}

/**
 * Message actions as the web client offers them (docs/PROTOCOL.md, "Message actions"): the reply
 * being written, the message being edited, and the requests. Each answer is applied at once through
 * `applied` (the same path as `message:changed`, so the ack and the event may come in either order).
 */
export class MessageActionsClient {
	replyTo = $state<ReplyDraft | null>(null);
	/** The own text message being edited in place. */
	editing = $state<{ threadId: string; seq: number } | null>(null);
	/** A quote was clicked: the thread view scrolls to that message (loading history as needed). */
	jump = $state<{ threadId: string; seq: number; at: number } | null>(null);

	readonly #conn: ChatConnection;
	readonly #applied: (message: Message) => void;

	constructor(options: { conn: ChatConnection; applied: (message: Message) => void }) {
		this.#conn = options.conn;
		this.#applied = options.applied;
	}

	startReply(message: Message): void {
		this.editing = null;
		this.replyTo = { threadId: message.threadId, seq: message.seq, senderId: message.senderId, snippet: snippetOf(quoteText(message)) };
	}

	/** The reply draft of `threadId`, taken (cleared) for the message being sent. */
	takeReply(threadId: string): ReplyDraft | null {
		const draft = this.replyTo;
		if (draft?.threadId !== threadId) return null;
		this.replyTo = null;
		return draft;
	}

	startEdit(message: Message): void {
		this.replyTo = null;
		this.editing = { threadId: message.threadId, seq: message.seq };
	}

	async edit(threadId: string, seq: number, text: string): Promise<void> {
		const { message } = await this.#conn.request('messages:edit', { threadId, seq, text });
		this.#applied(message);
		if (this.editing?.threadId === threadId && this.editing.seq === seq) this.editing = null;
	}

	async remove(threadId: string, seq: number): Promise<void> {
		const { message } = await this.#conn.request('messages:delete', { threadId, seq });
		this.#applied(message);
		if (this.replyTo?.threadId === threadId && this.replyTo.seq === seq) this.replyTo = null;
	}

	/** Adds the user's reaction, or takes it back when they have it (a chip's toggle). */
	async react(message: Message, emoji: string, me: string): Promise<void> {
		const mine = message.reactions?.some((r) => r.emoji === emoji && r.userIds.includes(me)) ?? false;
		const answer = await this.#conn.request('messages:react', { threadId: message.threadId, seq: message.seq, emoji, ...(mine ? { remove: true } : {}) });
		this.#applied(answer.message);
	}

	/** The earlier texts of one of the user's own messages, oldest first (`messages:edits`, the sender only). */
	async edits(threadId: string, seq: number): Promise<MessageEdit[]> {
		return (await this.#conn.request('messages:edits', { threadId, seq })).edits;
	}

	jumpTo(threadId: string, seq: number): void {
		this.jump = { threadId, seq, at: Date.now() };
	}
}
