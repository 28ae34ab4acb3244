import { z } from 'zod';
import { hasControlCharacters } from './text';

/**
 * The files half of the contract (PROTOCOL.md section 3, in full in docs/PROTOCOL.md): tus uploads at
 * `/files/`, downloads at `/files/{id}`, and the `/api/files` calls.
 */

export const FILE_LIMITS = {
	/** Characters (Unicode code points) of a file's display name. */
	nameMax: 255,
	/** Characters of the `filetype` upload metadata. */
	typeMax: 255,
	searchMax: 255,
	pageMax: 100,
	pageDefault: 50
} as const;

/** Where the tus endpoint is; an upload's URL is `UPLOAD_PATH` + its upload id. */
export const UPLOAD_PATH = '/files/';

/** The header a finished upload's answer (and HEAD of a finished upload) carries: the file's id. */
export const FILE_ID_HEADER = 'Parley-File-Id';

export const downloadUrl = (fileId: string) => `/files/${encodeURIComponent(fileId)}`;
export const thumbnailUrl = (fileId: string) => `/files/${encodeURIComponent(fileId)}/thumbnail`;

/**
 * Avatars (extension): an image uploaded through tus with `purpose: avatar` in its metadata becomes
 * the uploader's picture, a square WebP of `AVATAR_LIMITS.px` a side, not a file.
 */
export const AVATAR_LIMITS = {
	/** Largest upload accepted as an avatar (10 MiB). */
	maxBytes: 10 * 1024 * 1024,
	/** Edge of the stored square, in px. */
	px: 512
} as const;

/** `avatar`: your picture; `group-avatar` (groups extension): the picture of the group named by `threadId`. */
export const UPLOAD_PURPOSES = ['avatar', 'group-avatar'] as const;
export type UploadPurpose = (typeof UPLOAD_PURPOSES)[number];

/**
 * Where an avatar is served. A new picture gets a new id, so the URL never changes meaning and can be
 * cached for good (`immutable`).
 */
export const avatarUrl = (avatarId: string) => `/files/avatars/${encodeURIComponent(avatarId)}`;

/** `sent`: you uploaded it; `received`: someone uploaded it into a thread of yours. */
export type FileDirection = 'sent' | 'received';

/** One file as `GET /api/files` shows it to the caller. */
export interface FileInfo {
	id: string;
	name: string;
	size: number;
	/** Sniffed from the content; `application/octet-stream` when unknown. */
	type: string;
	/** Hex SHA-256 of the bytes (also the download's ETag). */
	sha256: string;
	/** The thread it was sent into, or null (uploaded on the Files page). */
	threadId: string | null;
	owner: { id: string; username: string; displayName: string };
	direction: FileDirection;
	width?: number;
	height?: number;
	thumbnail: boolean;
	createdAt: string;
	/**
	 * Extension: your own files only (absent on received ones): the chats it was sent to (a message of
	 * it there, not deleted), in the order it was first sent to each; [] when none.
	 */
	sentTo?: FileChat[];
}

/** A chat a file was sent to, named as the viewer sees it: a group's title, a private chat's other person. */
export interface FileChat {
	threadId: string;
	kind: 'private' | 'group';
	name: string;
}

export interface FilesListResponse {
	files: FileInfo[];
	/** Pass back as `cursor` for the next page; null on the last one. */
	nextCursor: string | null;
}

export const FILE_SORTS = ['date', 'name', 'size', 'type'] as const;
export type FileSort = (typeof FILE_SORTS)[number];

/** `GET /api/files` query (strings, as a query string gives them). */
export const filesListQuery = z.strictObject({
	sort: z.enum(FILE_SORTS, { message: `sort is one of ${FILE_SORTS.join(', ')}` }).default('date'),
	order: z.enum(['asc', 'desc'], { message: 'order is asc or desc' }).optional(),
	q: z
		.string()
		.max(FILE_LIMITS.searchMax, { message: `q is at most ${FILE_LIMITS.searchMax} characters` })
		.optional(),
	cursor: z.string().max(2048, { message: 'cursor is not one this server made' }).optional(),
	limit: z
		.string()
		.regex(/^\d{1,3}$/, { message: 'limit must be a whole number' })
		.transform(Number)
		.refine((n) => n >= 1 && n <= FILE_LIMITS.pageMax, { message: `limit is 1 to ${FILE_LIMITS.pageMax}` })
		.optional()
});
export type FilesListQuery = z.input<typeof filesListQuery>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A file's display name: 1 to 255 characters, not only spaces, no control characters, kept verbatim. */
export const fileNameSchema = z
	.string({ message: 'filename must be a string' })
	.min(1, { message: 'filename must not be empty' })
	.max(FILE_LIMITS.nameMax * 2, { message: `filename is at most ${FILE_LIMITS.nameMax} characters` })
	.refine((s) => [...s].length <= FILE_LIMITS.nameMax, { message: `filename is at most ${FILE_LIMITS.nameMax} characters` })
	.refine((s) => s.trim().length > 0, { message: 'filename must not be only spaces' })
	.refine((s) => !hasControlCharacters(s), { message: 'filename must not contain control characters' })
	.refine((s) => !LONE_SURROGATE.test(s) && !s.includes('\ufffd'), { message: 'filename is not well-formed UTF-8' });

/** What an upload's `Upload-Metadata` may carry (other keys are ignored and not kept). */
export const uploadMetadataSchema = z.object({
	filename: fileNameSchema,
	filetype: z
		.string({ message: 'filetype must be a string' })
		.max(FILE_LIMITS.typeMax, { message: `filetype is at most ${FILE_LIMITS.typeMax} characters` })
		.regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, { message: 'filetype must look like a MIME type, e.g. image/png' })
		.optional()
		// Browsers send '' for a file of unknown type.
		.or(z.literal('').transform(() => undefined)),
	threadId: z
		.string({ message: 'threadId must be a string' })
		.regex(/^[0-9a-z]{1,32}$/, { message: 'threadId is not a thread id' })
		.optional(),
	// Extension: `avatar` makes the finished upload the uploader's picture instead of a file;
	// `group-avatar` the picture of the group `threadId` names.
	purpose: z.enum(UPLOAD_PURPOSES, { message: `purpose is one of ${UPLOAD_PURPOSES.join(', ')}` }).optional()
})
	.refine((m) => !(m.purpose === 'avatar' && m.threadId !== undefined), { message: 'an avatar is not sent into a thread: give no threadId', path: ['threadId'] })
	.refine((m) => !(m.purpose === 'group-avatar' && m.threadId === undefined), { message: "a group's picture names its group: give threadId", path: ['threadId'] });
