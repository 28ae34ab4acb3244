export type ThreadKind = 'private';

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
}

export interface ThreadMembersTable {
	thread_id: string;
	user_id: string;
	delivered_seq: number;
	read_seq: number;
	joined_at: string;
}
