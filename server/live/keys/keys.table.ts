/** A user's stream key (migration 20261209_0005): one per user at most. */
export interface StreamKeysTable {
	user_id: string;
	/** SHA-256 of the key (hex, 64 characters); the key itself is never stored. */
	key_hash: string;
	created_at: string;
}
