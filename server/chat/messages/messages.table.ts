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
}
