import { avatarUrl, callLine, liveLine, parseCallSummary, parseLiveSummary, parseSystemEvent, systemLine, type FileRef, type FriendRequest, type Message, type Reaction, type Relationship, type UserCard } from '../../src/lib/protocol/index.js';
import type { FriendRequestRow } from './friends/friends.repository.js';
import type { MessageRow } from './messages/messages.repository.js';
import type { CardRow } from './friends/users.repository.js';

/** Rows as the protocol shows them. */

export function toCard(row: CardRow, relationship: Relationship, online?: boolean): UserCard {
	const card: UserCard = { id: row.id, username: row.username, displayName: row.display_name, bio: row.bio, avatarUrl: row.avatar ? avatarUrl(row.avatar) : null, relationship };
	if (online !== undefined) card.online = online;
	if (row.deleted_at) card.deleted = true;
	return card;
}

/**
 * A stored message. `files` holds the current refs of the files of these messages (`fileRefsOf`); a
 * file message whose file is not there was deleted by its owner and shows as `{id, deleted: true}`.
 * `reactions` (message actions, `reactionsOf`) by message id; a message without an entry shows none.
 */
export function toMessage(row: MessageRow, files: ReadonlyMap<string, FileRef> = new Map(), reactions?: ReadonlyMap<string, Reaction[]>): Message {
	const message: Message = {
		id: row.id,
		threadId: row.thread_id,
		seq: Number(row.seq),
		senderId: row.sender_id,
		clientId: row.client_id,
		kind: row.kind,
		createdAt: row.created_at
	};
	// Message actions: rows stored before migration 0010 or by code that builds them read these as undefined.
	const changeSeq = Number(row.change_seq ?? 0);
	if (changeSeq > 0) message.changeSeq = changeSeq;
	if (row.deleted_at) {
		// A tombstone: nothing of what was said is left (the row's text and file_id are NULL too).
		message.deleted = true;
		return message;
	}
	if (row.edited_at) message.editedAt = row.edited_at;
	if (row.reply_seq !== null && row.reply_seq !== undefined && row.reply_sender_id) {
		message.replyTo = { seq: Number(row.reply_seq), senderId: row.reply_sender_id, snippet: row.reply_snippet ?? '' };
	}
	const own = reactions?.get(row.id);
	if (own && own.length > 0) message.reactions = own;
	if (row.text !== null) message.text = row.text;
	if (row.file_id !== null) message.file = files.get(row.file_id) ?? { id: row.file_id, deleted: true };
	// A call line is stored as the JSON of its summary (server/media); clients get both forms.
	const call = row.kind === 'call' ? parseCallSummary(row.text) : null;
	if (call) {
		message.call = call;
		message.text = callLine(call);
	}
	// A live stream's line likewise (docs/PROTOCOL.md, "Live streams").
	const live = row.kind === 'live' ? parseLiveSummary(row.text) : null;
	if (live) {
		message.live = live;
		message.text = liveLine(live);
	}
	// A system line (groups) likewise: the JSON of its event, shown as the event and a line for people.
	const system = row.kind === 'system' ? parseSystemEvent(row.text) : null;
	if (system) {
		message.system = system;
		message.text = systemLine(system);
	}
	return message;
}

export function toFriendRequest(row: FriendRequestRow, from: UserCard, to: UserCard): FriendRequest {
	return { id: row.id, from, to, message: row.message, status: row.status, createdAt: row.created_at };
}
