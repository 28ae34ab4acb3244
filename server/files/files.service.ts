import type { Kysely } from 'kysely';
import { FILE_LIMITS, type FileInfo, type FileSort, type FilesListQuery, type UploadPurpose } from '../../src/lib/protocol/index.js';
import type { ChatEmitter } from '../chat/node/emitter.js';
import type { MessagesService } from '../chat/messages/messages.service.js';
import { memberIdsOf } from '../chat/conversations/threads.repository.js';
import { isUniqueViolation } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { newId, nowIso } from '../db/ids.js';
import { AppError, invalidInput } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Admission } from './admission.js';
import { contentDisposition, describeImage, isImageType, sha256File, sniffType } from './content.js';
import * as repo from './files.repository.js';
import type { TrackedStore } from './storage/tracked.js';
import type { Blobs, UploadRecord, Uploads } from './storage/types.js';
import { toFileInfo, toFileRef } from './views.js';

export { contentDisposition };

export interface FilesDeps {
	db: Kysely<Database>;
	store: TrackedStore;
	uploads: Uploads;
	/** Where thumbnails go, `<fileId>.webp`. */
	thumbs: Blobs;
	/** Posts file messages into threads; undefined while (or when) this process runs no chat role. */
	messages: () => MessagesService | undefined;
	/** Reaches thread members' devices (for `file:deleted`); undefined when nothing can. */
	emitter: () => ChatEmitter | undefined;
	/** Bytes one user's files and unfinished uploads may add up to. */
	quotaBytes: number;
	/** One creation per user at a time and the reservations, in this process or (Redis) the cluster. */
	admission: Admission;
	/**
	 * Runs `work` holding the upload's tus lock if nobody holds it, else resolves to false at once.
	 * With Redis the sweep uses it so that no gateway removes an upload another is writing or finishing.
	 */
	ifUnlocked?: (uploadId: string, work: () => Promise<void>) => Promise<boolean>;
	log: Logger;
}

/** Metadata of an upload as Parley keeps it (validated and normalised at creation). */
export interface UploadMeta {
	filename: string;
	filetype?: string;
	threadId?: string;
	/**
	 * Extension: `avatar` makes the finished upload the uploader's picture (avatars.ts), not a file;
	 * `group-avatar` the picture of the group `threadId`.
	 */
	purpose?: UploadPurpose;
	/** Server-made at creation: the id the finished file will have. */
	fileId: string;
}

/**
 * Files: who may create an upload (size, quota, thread), what a finished upload becomes (a row, a
 * thumbnail, a message), who may see and delete a file.
 */
export class FilesService {
	/** Uploads being finished by this process: the sweep leaves them alone. */
	readonly #finishing = new Map<string, Promise<repo.FileRow>>();

	constructor(private readonly deps: FilesDeps) {}

	/**
	 * Checks a new upload of `size` bytes by `userId` and reserves its room in the quota until
	 * `release(uploadId)`. Returns the metadata to store.
	 */
	async admit(userId: string, uploadId: string, size: number, meta: Omit<UploadMeta, 'fileId'>): Promise<UploadMeta> {
		if (meta.threadId !== undefined) {
			if (!this.deps.messages()) throw new AppError('not_implemented', 'this node does not run the chat role, so it cannot post files into threads');
			if (!(await repo.isMember(this.deps.db, meta.threadId, userId))) throw new AppError('not_found', `thread "${meta.threadId}" not found`);
			// No longer friends, or a block: refused before a byte is sent, not after.
			await this.deps.messages()!.assertMayPost(userId, meta.threadId);
		}
		// One creation per user at a time, on any gateway: two at once could each pass the quota alone.
		await this.deps.admission.serialize(userId, async () => {
			const used = await this.usedBytes(userId);
			if (used + size > this.deps.quotaBytes) {
				const left = Math.max(0, this.deps.quotaBytes - used);
				throw new AppError('quota_exceeded', `this upload of ${size} bytes is over your quota: ${left} of ${this.deps.quotaBytes} bytes left; delete files to make room`);
			}
			await this.deps.admission.reserve(userId, uploadId, size);
		});
		return { ...meta, fileId: newId() };
	}

	/** Ends the reservation `admit` made (the upload is on disk by now, or failed). */
	async release(uploadId: string): Promise<void> {
		const userId = this.deps.uploads.ownerOf(uploadId);
		if (userId) await this.deps.admission.release(userId, uploadId);
	}

	/** What counts against `userId`'s quota: their files, unfinished uploads and reservations. */
	async usedBytes(userId: string): Promise<number> {
		const [files, pending, reserved] = await Promise.all([repo.bytesOwnedBy(this.deps.db, userId), this.#pendingUploads(userId), this.deps.admission.reserved(userId)]);
		return files + pending.reduce((sum, u) => sum + u.size, 0) + reserved;
	}

	/**
	 * Turns a finished upload into a file: digest, sniffed type, image size and thumbnail, the row, and
	 * with a thread the file message. Idempotent: finishing the same upload again (a retried last
	 * PATCH, a HEAD after a lost answer) returns the same file and posts no second message.
	 */
	async finish(upload: { id: string; size: number; meta: UploadMeta }): Promise<repo.FileRow> {
		let file = await repo.findByUploadId(this.deps.db, upload.id);
		if (!file) {
			const running = this.#finishing.get(upload.id);
			const work = running ?? this.#makeFile(upload);
			if (!running) this.#finishing.set(upload.id, work);
			try {
				file = await work;
			} finally {
				if (!running) this.#finishing.delete(upload.id);
			}
		}
		const messages = this.deps.messages();
		if (file.thread_id && messages) {
			try {
				await messages.sendFile(file.owner_id, { threadId: file.thread_id, file: toFileRef(file) });
			} catch (error) {
				// The uploader left the thread (or it went) in the meantime: the file stays theirs.
				if (!(error instanceof AppError && error.code === 'not_found')) throw error;
				this.deps.log.warn(`file "${file.id}" was not posted to thread "${file.thread_id}": ${error.message}`);
			}
		}
		return file;
	}

	async #makeFile(upload: { id: string; size: number; meta: UploadMeta }): Promise<repo.FileRow> {
		const { db, store } = this.deps;
		const ownerId = this.deps.uploads.ownerOf(upload.id);
		if (!ownerId) throw new Error(`upload "${upload.id}" has no owner in its id`);
		// Encrypted with FILES_ENCRYPTION_KEY (decrypted here), or clear from before it was set.
		const bytes = this.deps.uploads.source(upload.id, { key: this.deps.uploads.key, clearSize: upload.size, what: `upload "${upload.id}"` });
		const sha256 = store.takeDigest(upload.id, upload.size) ?? (await sha256File(bytes));
		const type = await sniffType(bytes, upload.meta.filetype);
		const image = isImageType(type) ? await describeImage(bytes) : null;
		// A thumbnail that cannot be stored (a full disk) leaves the file without a preview, as before.
		const thumbnail =
			!!image?.thumbnail &&
			(await this.deps.thumbs.put(thumbName(upload.meta.fileId), image.thumbnail).then(
				() => true,
				(error: Error) => {
					this.deps.log.warn(`the thumbnail of upload "${upload.id}" was not stored: ${error.message}`);
					return false;
				}
			));
		const row: repo.FileRow = {
			id: upload.meta.fileId,
			owner_id: ownerId,
			upload_id: upload.id,
			name: upload.meta.filename,
			name_key: upload.meta.filename.toLowerCase(),
			size: upload.size,
			type,
			sha256,
			thread_id: upload.meta.threadId ?? null,
			width: image?.width ?? null,
			height: image?.height ?? null,
			has_thumb: thumbnail ? 1 : 0,
			created_at: nowIso()
		};
		try {
			await repo.insert(db, row);
		} catch (error) {
			if (!isUniqueViolation(error)) throw error;
			const first = await repo.findByUploadId(db, upload.id);
			if (!first) throw error;
			return first;
		}
		this.deps.log.info(`file "${row.id}" finished: ${row.size} bytes of ${row.type}`, { upload: upload.id });
		return row;
	}

	/**
	 * The file if `userId` may read it (owner, member of its thread or of a thread it was sent to);
	 * `not_found` otherwise.
	 */
	async readable(userId: string, fileId: string): Promise<repo.FileRow> {
		const file = /^[0-9a-z]{1,32}$/.test(fileId) ? await repo.findById(this.deps.db, fileId) : undefined;
		if (file && (await repo.canRead(this.deps.db, file, userId))) return file;
		throw new AppError('not_found', `file "${fileId}" not found`);
	}

	/** Deletes the owner's file: row first (so it is gone for everyone at once), then bytes and thumbnail. */
	async remove(userId: string, fileId: string): Promise<void> {
		const file = await this.readable(userId, fileId);
		if (file.owner_id !== userId) throw new AppError('forbidden', `file "${fileId}" is not yours: only its owner can delete it`);
		// Read before the row goes: every thread it was sent to hears of it, not only the one it was uploaded into.
		const threadIds = new Set(await repo.threadIdsCarrying(this.deps.db, file.id));
		if (file.thread_id) threadIds.add(file.thread_id);
		if (!(await repo.remove(this.deps.db, file.id))) return;
		await this.deps.uploads.removeBytes(file.upload_id);
		await this.deps.thumbs.remove(thumbName(file.id));
		this.deps.log.info(`file "${file.id}" deleted`);
		const emitter = this.deps.emitter();
		if (!emitter) return;
		for (const threadId of threadIds) emitter.toUsers(await memberIdsOf(this.deps.db, threadId), 'file:deleted', { fileId: file.id, threadId });
	}

	/**
	 * Removes the bytes and thumbnail of a file whose row is already gone (its last message was deleted
	 * for everyone: server/chat/messages/actions.service.ts).
	 */
	async discard(file: { id: string; upload_id: string }): Promise<void> {
		await this.deps.uploads.removeBytes(file.upload_id);
		await this.deps.thumbs.remove(thumbName(file.id));
		this.deps.log.info(`file "${file.id}" deleted with its last message`);
	}

	/**
	 * After an account was deleted (server/account): the bytes and thumbnails of its files, whose rows
	 * went with it, and every upload of its still on disk. Resolves to how many uploads went.
	 */
	async discardAccount(userId: string, files: Array<{ id: string; upload_id: string }>): Promise<number> {
		for (const file of files) await this.discard(file);
		const { ifUnlocked = (_id: string, work: () => Promise<void>) => work().then(() => true) } = this.deps;
		let removed = 0;
		// The finished ones have no row now either, so these are all of its uploads.
		for (const record of await this.#pendingUploads(userId)) {
			const gone = await ifUnlocked(record.id, async () => {
				await this.deps.uploads.removeBytes(record.id);
				this.deps.store.forget(record.id);
			});
			if (gone) removed++;
		}
		return removed;
	}

	/** A page of the files `userId` sent or received. */
	async list(userId: string, query: { sort: FileSort; order?: 'asc' | 'desc'; q?: string; cursor?: string; limit?: number }): Promise<{ files: FileInfo[]; nextCursor: string | null }> {
		const limit = query.limit ?? FILE_LIMITS.pageDefault;
		// Newest first and biggest first are what people look for; names and types read A to Z.
		const desc = (query.order ?? (query.sort === 'date' || query.sort === 'size' ? 'desc' : 'asc')) === 'desc';
		const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.sort);
		const rows = await repo.listVisible(this.deps.db, { userId, sort: query.sort, desc, q: query.q || undefined, after, limit });
		const page = rows.slice(0, limit);
		const last = page.at(-1);
		const chats = await repo.chatsOf(this.deps.db, userId, page.filter((r) => r.owner_id === userId).map((r) => r.id));
		return {
			files: page.map((r) => toFileInfo(r, userId, chats.get(r.id))),
			nextCursor: rows.length > limit && last ? encodeCursor(query.sort, last) : null
		};
	}

	/**
	 * Removes unfinished uploads older than the expiry (and finished ones that never became a file, the
	 * leftovers of a crash). Returns how many went.
	 */
	async sweep(expiryMs: number): Promise<number> {
		const records = await this.deps.uploads.list();
		const old = records.filter((r) => r.createdAt + expiryMs < Date.now() && !this.#finishing.has(r.id) && !this.deps.admission.holds(r.id));
		const finished = await repo.finishedUploadIds(this.deps.db, old.map((r) => r.id));
		let removed = 0;
		const { ifUnlocked = (_id: string, work: () => Promise<void>) => work().then(() => true) } = this.deps;
		for (const record of old) {
			if (finished.has(record.id)) continue;
			const gone = await ifUnlocked(record.id, async () => {
				await this.deps.uploads.removeBytes(record.id);
				this.deps.store.forget(record.id);
			});
			if (gone) removed++;
		}
		if (removed > 0) this.deps.log.info(`removed ${removed} expired upload(s)`);
		return removed;
	}

	/** The user's uploads that are not files (yet), with their declared sizes. */
	async #pendingUploads(userId: string): Promise<UploadRecord[]> {
		const mine = await this.deps.uploads.list(userId);
		const finished = await repo.finishedUploadIds(
			this.deps.db,
			mine.map((r) => r.id)
		);
		const records = await Promise.all(mine.filter((r) => !finished.has(r.id)).map((r) => this.deps.uploads.get(r.id)));
		return records.filter((r): r is UploadRecord => r !== undefined);
	}
}

/** A file's thumbnail in the store. */
export function thumbName(fileId: string): string {
	return `${fileId}.webp`;
}

// The cursor is opaque to clients: the last file's sort value and id, base64url JSON, tagged with the
// sort it belongs to so a cursor of another sort is refused rather than misread.
function encodeCursor(sort: FileSort, row: repo.FileRow): string {
	const value = sort === 'date' ? row.created_at : sort === 'name' ? row.name_key : sort === 'size' ? Number(row.size) : row.type;
	return Buffer.from(JSON.stringify([sort, value, row.id])).toString('base64url');
}

function decodeCursor(cursor: string, sort: FileSort): repo.ListPosition {
	try {
		const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
		if (Array.isArray(value) && value.length === 3 && value[0] === sort && typeof value[2] === 'string' && value[2].length <= 32) {
			const v = value[1];
			if ((sort === 'size' && Number.isSafeInteger(v)) || (sort !== 'size' && typeof v === 'string' && v.length <= 1024)) return { value: v as string | number, id: value[2] };
		}
	} catch {
		// falls through
	}
	throw invalidInput({ cursor: 'is not one this server made for this sort' }, 'cursor: is not one this server made for this sort; pass back nextCursor as it was given');
}

export type { FilesListQuery };
