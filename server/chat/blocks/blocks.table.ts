/** `blocker_id` blocked `blocked_id` (one row per direction; migration 20261207_0013_blocks). */
export interface BlocksTable {
	blocker_id: string;
	blocked_id: string;
	created_at: string;
}
