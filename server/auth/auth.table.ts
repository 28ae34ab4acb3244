export interface UsersTable {
	id: string;
	username: string;
	/** Lower-cased username: uniqueness and look-up ignore case on every dialect. */
	username_key: string;
	email: string;
	/** Lower-cased email. */
	email_key: string;
	display_name: string;
	bio: string;
	/** The current picture's id (extension; server/files/avatars.ts), null for none. Optional so inserts may leave it out. */
	avatar?: string | null;
	password_hash: string;
	/** When the account was deleted (the row is then an anonymised tombstone); null or absent: live. Migration 20261210_0001. */
	deleted_at?: string | null;
	created_at: string;
	updated_at: string;
}

export interface SessionsTable {
	id: string;
	user_id: string;
	/** sha256 of the bearer token, hex. The token itself is never stored. */
	token_hash: string;
	user_agent: string | null;
	ip: string | null;
	created_at: string;
	expires_at: string;
	/**
	 * The last authenticated request or chat handshake, to within a minute (extension, Settings >
	 * Devices; server/devices/last-seen.ts). Optional so inserts may leave it out; null reads as `created_at`.
	 */
	last_seen_at?: string | null;
}
