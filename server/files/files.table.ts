export interface FilesTable {
	id: string;
	owner_id: string;
	/** The tus upload id; also the name of the bytes under UPLOAD_DIR/tus. Unique. */
	upload_id: string;
	/** Display name as the uploader gave it; never used as a path. */
	name: string;
	/** `name` lower-cased (sort and search ignore case). */
	name_key: string;
	/** bigint: PostgreSQL and MySQL hand it back as a string. */
	size: number | string;
	type: string;
	sha256: string;
	thread_id: string | null;
	width: number | null;
	height: number | null;
	/** 1 when a thumbnail exists. */
	has_thumb: number;
	created_at: string;
}
