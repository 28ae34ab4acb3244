import type { Generated } from 'kysely';
import type { GroupRole, ThreadKind } from '../../../src/lib/protocol/index.js';

export type { ThreadKind };

export interface ThreadsTable {
	id: string;
	kind: ThreadKind;
	/** `pairKey` of the two members, for private threads; unique. */
	private_key: string | null;
	/** The seq of the newest message, 0 when none. Bumped under the row lock that orders senders. */
	last_seq: number;
	/** The newest message's time, else `created_at`. */
	updated_at: string;
	created_at: string;
	/** Groups: 1 to 100 code points. Null for private threads. */
	title: string | null;
	/** Groups: null or '' when none. */
	topic: string | null;
	/** Groups: the picture's id (`avatarUrl()`), null for none. */
	avatar_id: string | null;
	/** Groups: when the last member left. */
	closed_at: string | null;
	/**
	 * Message actions: the newest change number (edits, deletes, reactions), bumped under the row lock.
	 * Never NULL in the database (default 0); typed nullable so that inserts may leave it out.
	 */
	last_change_seq: number | null;
}

export interface ThreadMembersTable {
	thread_id: string;
	user_id: string;
	delivered_seq: number;
	read_seq: number;
	joined_at: string;
	/** Groups: the member's role. Private threads' members are all `member` (never shown). */
	role: Generated<GroupRole>;
	/** Until when the member muted the thread (ISO); null: not muted. Migration 0012. */
	muted_until: string | null;
}
