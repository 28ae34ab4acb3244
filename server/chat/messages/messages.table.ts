import type { MessageKind } from '../../../src/lib/protocol/index.js';

/** Who a group message mentions (docs/PROTOCOL.md, "Groups"). */
export interface MentionsTable {
	user_id: string;
	thread_id: string;
	seq: number;
}

export interface MessagesTable {
	id: string;
	thread_id: string;
	/** Per thread, from 1, gapless. */
	seq: number;
	sender_id: string;
	/** The sender's idempotency key; unique per sender. */
	client_id: string;
	kind: MessageKind;
	text: string | null;
	file_id: string | null;
	created_at: string;
	// Message actions (migration 0010):
	/** When the sender last edited the text; null: never. */
	edited_at: string | null;
	/** When the sender deleted it for everyone (text and file_id are NULL from then on); null: not. */
	deleted_at: string | null;
	/** The thread's change number of the latest edit, delete or reaction; 0: never changed. */
	change_seq: number;
	/** A reply: the quoted message's seq, sender and a snippet of it as it was. */
	reply_seq: number | null;
	reply_sender_id: string | null;
	reply_snippet: string | null;
}

/** Earlier texts of an edited message (its sender sees them). */
export interface MessageEditsTable {
	id: string;
	message_id: string;
	text: string;
	/** When this text was replaced. */
	edited_at: string;
}

/** One person's reaction with one emoji to one message. */
export interface ReactionsTable {
	message_id: string;
	user_id: string;
	emoji: string;
	created_at: string;
}
