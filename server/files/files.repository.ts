import { sql, type Kysely, type Transaction } from 'kysely';
import type { FileSort } from '../../src/lib/protocol/index.js';
import type { Database } from '../db/schema.js';
import { escapeLike } from '../chat/friends/users.repository.js';
import type { FilesTable } from './files.table.js';

export type Q = Kysely<Database> | Transaction<Database>;

export type FileRow = FilesTable;

/** A file row with its owner's names, as lists show it. */
export interface ListedFileRow extends FileRow {
	owner_username: string;
	owner_display_name: string;
}

export function findById(db: Q, id: string): Promise<FileRow | undefined> {
	return db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findByUploadId(db: Q, uploadId: string): Promise<FileRow | undefined> {
	return db.selectFrom('files').selectAll().where('upload_id', '=', uploadId).executeTakeFirst();
}

/** The rows of these ids that still exist. */
export async function findByIds(db: Q, ids: string[]): Promise<Map<string, FileRow>> {
	if (ids.length === 0) return new Map();
	const rows = await db.selectFrom('files').selectAll().where('id', 'in', ids).execute();
	return new Map(rows.map((r) => [r.id, r]));
}

/** Which of these upload ids have become files. */
export async function finishedUploadIds(db: Q, uploadIds: string[]): Promise<Set<string>> {
	if (uploadIds.length === 0) return new Set();
	const rows = await db.selectFrom('files').select('upload_id').where('upload_id', 'in', uploadIds).execute();
	return new Set(rows.map((r) => r.upload_id));
}

export async function insert(db: Q, row: FileRow): Promise<void> {
	await db.insertInto('files').values(row).execute();
}

export async function remove(db: Q, id: string): Promise<boolean> {
	const result = await db.deleteFrom('files').where('id', '=', id).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** Bytes of every file `ownerId` owns. */
export async function bytesOwnedBy(db: Q, ownerId: string): Promise<number> {
	const row = await db
		.selectFrom('files')
		.select((eb) => eb.fn.sum<string | number | null>('size').as('total'))
		.where('owner_id', '=', ownerId)
		.executeTakeFirst();
	return Number(row?.total ?? 0);
}

/** True when `userId` is a member of `threadId`. */
export async function isMember(db: Q, threadId: string, userId: string): Promise<boolean> {
	const row = await db.selectFrom('thread_members').select('user_id').where('thread_id', '=', threadId).where('user_id', '=', userId).executeTakeFirst();
	return row !== undefined;
}

/**
 * True when `userId` may read the file: its owner, a member of the thread it was uploaded into, or a
 * member of a thread holding a message that carries it (sent there from the Files page or another chat).
 */
export async function canRead(db: Q, file: Pick<FileRow, 'id' | 'owner_id' | 'thread_id'>, userId: string): Promise<boolean> {
	if (file.owner_id === userId) return true;
	if (file.thread_id !== null && (await isMember(db, file.thread_id, userId))) return true;
	const row = await db
		.selectFrom('messages')
		.innerJoin('thread_members', 'thread_members.thread_id', 'messages.thread_id')
		.select('messages.id')
		.where('messages.file_id', '=', file.id)
		.where('thread_members.user_id', '=', userId)
		.limit(1)
		.executeTakeFirst();
	return row !== undefined;
}

/** The threads holding a message that carries the file (tombstones carry none). */
export async function threadIdsCarrying(db: Q, fileId: string): Promise<string[]> {
	const rows = await db.selectFrom('messages').select('thread_id').distinct().where('file_id', '=', fileId).execute();
	return rows.map((r) => r.thread_id);
}

/** A thread a file was sent to, as `chatsOf` reads it. */
export interface ChatOfFile {
	threadId: string;
	kind: string;
	/** Groups: the title. */
	title: string | null;
	/** Private threads: the other member's display name. */
	peerName: string | null;
}

/**
 * Where each of these files of `ownerId` was sent: per file id, the threads of its messages in the
 * order of their first one, each with its kind, its title (groups) and, for a private thread, the
 * other member's display name.
 */
export async function chatsOf(db: Q, ownerId: string, fileIds: string[]): Promise<Map<string, ChatOfFile[]>> {
	const result = new Map<string, ChatOfFile[]>();
	if (fileIds.length === 0) return result;
	const rows = await db
		.selectFrom('messages')
		.innerJoin('threads', 'threads.id', 'messages.thread_id')
		.leftJoin('thread_members as peer', (join) => join.onRef('peer.thread_id', '=', 'messages.thread_id').on('peer.user_id', '!=', ownerId).on('threads.kind', '=', 'private'))
		.leftJoin('users', 'users.id', 'peer.user_id')
		.select(['messages.file_id', 'messages.thread_id', 'threads.kind', 'threads.title', 'users.display_name as peer_name'])
		.select((eb) => eb.fn.min('messages.created_at').as('first_at'))
		.where('messages.sender_id', '=', ownerId)
		.where('messages.file_id', 'in', fileIds)
		.groupBy(['messages.file_id', 'messages.thread_id', 'threads.kind', 'threads.title', 'users.display_name'])
		.orderBy('first_at')
		.orderBy('messages.thread_id')
		.execute();
	for (const row of rows) {
		if (row.file_id === null) continue;
		const list = result.get(row.file_id) ?? [];
		list.push({ threadId: row.thread_id, kind: row.kind, title: row.title ?? null, peerName: row.peer_name ?? null });
		result.set(row.file_id, list);
	}
	return result;
}

const SORT_COLUMN = { date: 'files.created_at', name: 'files.name_key', size: 'files.size', type: 'files.type' } as const;

/** Where a page starts: after the row with this sort value and id (in the page's order). */
export interface ListPosition {
	value: string | number;
	id: string;
}

/**
 * A page of the files `userId` can see (their own, and those sent into their threads), in `sort`
 * order with the id breaking ties, starting after `after`; one extra row tells there is more.
 * `q` matches anywhere in the name, ignoring case (`%` and `_` are plain characters).
 */
export function listVisible(
	db: Q,
	options: { userId: string; sort: FileSort; desc: boolean; q?: string; after?: ListPosition; limit: number }
): Promise<ListedFileRow[]> {
	const column = SORT_COLUMN[options.sort];
	const direction = options.desc ? 'desc' : 'asc';
	let query = db
		.selectFrom('files')
		.innerJoin('users', 'users.id', 'files.owner_id')
		.selectAll('files')
		.select(['users.username as owner_username', 'users.display_name as owner_display_name'])
		.where((eb) =>
			eb.or([
				eb('files.owner_id', '=', options.userId),
				eb('files.thread_id', 'in', eb.selectFrom('thread_members').select('thread_id').where('user_id', '=', options.userId)),
				// Sent into one of the user's threads after its upload (from the Files page or another chat).
				eb(
					'files.id',
					'in',
					eb
						.selectFrom('messages')
						.innerJoin('thread_members', 'thread_members.thread_id', 'messages.thread_id')
						.select('messages.file_id')
						.where('thread_members.user_id', '=', options.userId)
						.where('messages.file_id', 'is not', null)
				)
			])
		);
	if (options.q) {
		const pattern = `%${escapeLike(options.q.toLowerCase())}%`;
		query = query.where(sql<boolean>`files.name_key LIKE ${pattern} ESCAPE '!'`);
	}
	if (options.after) {
		const { value, id } = options.after;
		const op = options.desc ? '<' : '>';
		query = query.where((eb) => eb.or([eb(sql.ref(column), op, value), eb.and([eb(sql.ref(column), '=', value), eb('files.id', op, id)])]));
	}
	return query.orderBy(sql.ref(column), direction).orderBy('files.id', direction).limit(options.limit + 1).execute();
}
