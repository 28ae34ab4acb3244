import type { Kysely, Transaction } from 'kysely';
import { ACTION_LIMITS, type Message, type MessageChangedEvent, type MessageEdit, type MessagesChangesResponse } from '../../../src/lib/protocol/index.js';
import type { Limiter } from '../../auth/rate-limits.js';
import type { Database } from '../../db/schema.js';
import { newId, nowIso } from '../../db/ids.js';
import { retryTransaction } from '../../db/transactions.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { fileRefsOf } from '../../files/views.js';
import type { ThreadsService } from '../conversations/threads.service.js';
import * as threadsRepo from '../conversations/threads.repository.js';
import type { ChatEmitter } from '../node/emitter.js';
import { toMessage } from '../views.js';
import * as repo from './actions.repository.js';
import * as mentionsRepo from './mentions.repository.js';
import * as messagesRepo from './messages.repository.js';

export interface MessageActionsDeps {
	db: Kysely<Database>;
	threads: ThreadsService;
	emitter: ChatEmitter;
	/** Edits, deletes and reactions each spend a point of the sender's send limit. */
	limiter: Limiter;
	/** `EDIT_WINDOW_MINUTES`: how long after sending a text can be edited. */
	editWindowMinutes: number;
	log: Logger;
}

/** A file whose last message was deleted: its row is gone, its bytes and thumbnail are the files role's to remove. */
export interface DroppedFile {
	id: string;
	upload_id: string;
}

/** Nothing changed (the same text, a reaction already there): the transaction is rolled back. */
class Unchanged extends Error {
	constructor(readonly row: messagesRepo.MessageRow) {
		super('unchanged');
	}
}

type Change = MessageChangedEvent['change'];

/**
 * Edit, delete for everyone and react (docs/PROTOCOL.md, "Message actions"). Each change takes the
 * thread's next change number under the thread row's lock, stores the message's new state with it,
 * and after commit sends `message:changed` to the members at that moment; `changes` is the feed a
 * client that missed events catches up from.
 */
export class MessageActions {
	/** Removes a dropped file's bytes; set by the process when it runs the files role. */
	discardFile: ((file: DroppedFile) => Promise<void>) | undefined;

	constructor(private readonly deps: MessageActionsDeps) {}

	async edit(userId: string, input: { threadId: string; seq: number; text: string }): Promise<Message> {
		await this.deps.threads.requireMember(input.threadId, userId);
		await this.deps.limiter.consume(userId);
		const windowMs = this.deps.editWindowMinutes * 60_000;
		return this.change(userId, input, 'edited', async (trx, row, changeSeq, kind) => {
			mustBeOwn(row, userId, 'edit');
			if (row.kind !== 'text') throw new AppError('conflict', `${name(row)} is a ${row.kind} message; only text messages can be edited`);
			const at = nowIso();
			if (Date.parse(at) - Date.parse(row.created_at) > windowMs) {
				throw new AppError('conflict', `${name(row)} was sent more than ${this.deps.editWindowMinutes} minutes ago; it can no longer be edited`);
			}
			if (row.text === input.text) throw new Unchanged(row);
			await repo.editText(trx, { row, text: input.text, at, changeSeq, editId: newId() });
			const edited = { ...row, text: input.text, edited_at: at, change_seq: changeSeq };
			if (kind === 'group') {
				// Mentions follow the text: whom the old one named may no longer be named.
				await trx.deleteFrom('mentions').where('thread_id', '=', row.thread_id).where('seq', '=', row.seq).execute();
				await mentionsRepo.recordMentions(trx, edited);
			}
			return edited;
		});
	}

	async delete(userId: string, input: { threadId: string; seq: number }): Promise<Message> {
		await this.deps.threads.requireMember(input.threadId, userId);
		await this.deps.limiter.consume(userId);
		let dropped: DroppedFile | undefined;
		const message = await this.change(userId, input, 'deleted', async (trx, row, changeSeq) => {
			mustBeOwn(row, userId, 'delete');
			if (row.kind === 'system') throw new AppError('conflict', `${name(row)} records a change of the group; it cannot be deleted`);
			dropped = undefined;
			if (row.file_id && !(await repo.fileStillReferenced(trx, row.file_id, row.id))) {
				const file = await trx.selectFrom('files').select(['id', 'upload_id', 'thread_id']).where('id', '=', row.file_id).executeTakeFirst();
				// A file uploaded into a chat lives as long as a message carries it; one uploaded on the
				// Files page (no thread) stays there, sent or not, until its owner deletes it.
				if (file && file.thread_id !== null) {
					await trx.deleteFrom('files').where('id', '=', file.id).execute();
					dropped = { id: file.id, upload_id: file.upload_id };
				}
			}
			const at = nowIso();
			await repo.tombstone(trx, { row, at, changeSeq });
			return { ...row, text: null, file_id: null, reply_seq: null, reply_sender_id: null, reply_snippet: null, edited_at: null, deleted_at: at, change_seq: changeSeq };
		});
		if (dropped) await this.drop(dropped);
		return message;
	}

	async react(userId: string, input: { threadId: string; seq: number; emoji: string; remove?: boolean }): Promise<Message> {
		await this.deps.threads.requireMember(input.threadId, userId);
		await this.deps.limiter.consume(userId);
		return this.change(userId, input, 'reaction', async (trx, row, changeSeq) => {
			const mine = await repo.reactionsBy(trx, row.id, userId);
			if (input.remove) {
				if (!(await repo.removeReaction(trx, { messageId: row.id, userId, emoji: input.emoji }))) throw new Unchanged(row);
			} else {
				if (mine.includes(input.emoji)) throw new Unchanged(row);
				if (mine.length >= ACTION_LIMITS.reactionsPerPerson) {
					throw new AppError('conflict', `you already have ${ACTION_LIMITS.reactionsPerPerson} reactions on ${name(row)}; take one back first`);
				}
				await repo.addReaction(trx, { message_id: row.id, user_id: userId, emoji: input.emoji, created_at: nowIso() });
			}
			await repo.setChangeSeq(trx, row.id, changeSeq);
			return { ...row, change_seq: changeSeq };
		});
	}

	/** The earlier texts of the asker's own message (nobody else's: `forbidden`). */
	async edits(userId: string, input: { threadId: string; seq: number }): Promise<{ edits: MessageEdit[] }> {
		await this.deps.threads.requireMember(input.threadId, userId);
		const row = await messagesRepo.findBySeq(this.deps.db, input.threadId, input.seq);
		if (!row) throw messageNotFound(input.threadId, input.seq);
		if (row.sender_id !== userId) throw new AppError('forbidden', `${name(row)} is not yours: only its sender sees its earlier texts`);
		return { edits: await repo.editsOf(this.deps.db, row.id) };
	}

	/** The change feed: the current state of the messages changed after `afterChangeSeq`. */
	async changes(userId: string, input: { threadId: string; afterChangeSeq: number; limit?: number }): Promise<MessagesChangesResponse> {
		const member = await this.deps.threads.requireMember(input.threadId, userId);
		const { rows, hasMore } = await repo.changedAfter(this.deps.db, { ...input, limit: input.limit ?? ACTION_LIMITS.changesPageDefault });
		return { messages: await this.views(rows), hasMore, lastChangeSeq: Number(member.last_change_seq ?? 0) };
	}

	/** Messages as the protocol shows them, with their files and reactions (two queries for any number). */
	async views(rows: messagesRepo.MessageRow[]): Promise<Message[]> {
		const [files, reactions] = await Promise.all([fileRefsOf(this.deps.db, rows), repo.reactionsOf(this.deps.db, rows.map((r) => r.id))]);
		return rows.map((row) => toMessage(row, files, reactions));
	}

	/**
	 * One change, in one transaction that first takes the thread's next change number (and so its
	 * lock), then reads the message and the members as they are now, then lets `apply` check and
	 * write. After commit, `message:changed` goes to every member's devices.
	 */
	private async change(
		userId: string,
		input: { threadId: string; seq: number },
		change: Change,
		apply: (trx: Transaction<Database>, row: messagesRepo.MessageRow, changeSeq: number, kind: string) => Promise<messagesRepo.MessageRow>
	): Promise<Message> {
		const { db, log } = this.deps;
		let done: { row: messagesRepo.MessageRow; to: string[] };
		try {
			done = await retryTransaction(
				() =>
					db.transaction().execute(async (trx) => {
						const changeSeq = await repo.bumpChangeSeq(trx, input.threadId);
						if (changeSeq === undefined) throw threadNotFound(input.threadId);
						const members = await threadsRepo.memberIdsOf(trx, input.threadId, { locking: true });
						if (!members.includes(userId)) throw threadNotFound(input.threadId);
						const row = await messagesRepo.findBySeq(trx, input.threadId, input.seq);
						if (!row) throw messageNotFound(input.threadId, input.seq);
						if (row.deleted_at) {
							if (change === 'deleted' && row.sender_id === userId) throw new Unchanged(row);
							throw new AppError('conflict', `${name(row)} was deleted`);
						}
						const kind = (await trx.selectFrom('threads').select('kind').where('id', '=', input.threadId).executeTakeFirstOrThrow()).kind;
						return { row: await apply(trx, row, changeSeq, kind), to: members };
					}),
				{ log, what: `${change} message ${input.seq} of thread "${input.threadId}"` }
			);
		} catch (error) {
			if (error instanceof Unchanged) return (await this.views([error.row]))[0];
			throw error;
		}
		const [message] = await this.views([done.row]);
		this.deps.emitter.toUsers(done.to, 'message:changed', { message, change });
		return message;
	}

	private async drop(file: DroppedFile): Promise<void> {
		if (!this.discardFile) {
			this.deps.log.warn(`file "${file.id}" lost its last message; this process runs no files role, so its bytes stay until removed by hand`);
			return;
		}
		try {
			await this.discardFile(file);
		} catch (error) {
			this.deps.log.error(`removing the bytes of file "${file.id}" failed`, error);
		}
	}
}

function mustBeOwn(row: messagesRepo.MessageRow, userId: string, verb: 'edit' | 'delete'): void {
	if (row.sender_id !== userId) throw new AppError('forbidden', `${name(row)} is not yours: only its sender can ${verb} it`);
}

function name(row: { thread_id: string; seq: number }): string {
	return `message ${Number(row.seq)} of thread "${row.thread_id}"`;
}

function threadNotFound(threadId: string): AppError {
	return new AppError('not_found', `thread "${threadId}" not found`);
}

function messageNotFound(threadId: string, seq: number): AppError {
	return new AppError('not_found', `message ${seq} of thread "${threadId}" not found`);
}
