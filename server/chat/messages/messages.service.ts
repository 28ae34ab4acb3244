import type { Kysely } from 'kysely';
import { CHAT_LIMITS, mentionedNames, snippetOf, type CallSummary, type FileRef, type LiveSummary, type Message, type MessageKind, type UserCard } from '../../../src/lib/protocol/index.js';
import type { Limiter } from '../../auth/rate-limits.js';
import type { Database } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/database.js';
import { newId, nowIso } from '../../db/ids.js';
import { retryTransaction } from '../../db/transactions.js';
import { AppError } from '../../errors.js';
import type { KeyValueStore } from '../../kv/kv.js';
import type { Logger } from '../../logger.js';
import type { ChatEmitter } from '../node/emitter.js';
import * as actionsRepo from './actions.repository.js';
import { CommitBatch, DuplicateClientId } from './commit-batch.js';
import * as mentionsRepo from './mentions.repository.js';
import * as repo from './messages.repository.js';
import * as threadsRepo from '../conversations/threads.repository.js';
import type { ThreadsService } from '../conversations/threads.service.js';
import type { UsersService } from '../friends/users.service.js';
import { refusalToWrite, type BlocksService } from '../blocks/blocks.service.js';
import { sendCheck } from './send-check.repository.js';
import { toMessage } from '../views.js';
import * as filesRepo from '../../files/files.repository.js';
import { fileRefsOf, toFileRef } from '../../files/views.js';

export interface MessagesDeps {
	db: Kysely<Database>;
	threads: ThreadsService;
	users: UsersService;
	emitter: ChatEmitter;
	/** Told of each stored message and its recipients, after the commit and the emit (Web Push). Default none. */
	stored?: (message: Message, memberIds: string[]) => void;
	/** Spends one point per new message of a user. */
	sendLimiter: Limiter;
	/** At most one typing relay per user and thread in this many ms. */
	typingIntervalMs: number;
	/** Holds the typing throttle: Redis in a cluster, so a user's devices on several nodes share it. */
	kv: KeyValueStore;
	/** Who may write in a private thread (friends, neither blocked); absent: anyone in it. */
	blocks?: Pick<BlocksService, 'assertMayWrite'>;
	log: Logger;
}

/**
 * Messages: stored with the next gapless seq of their thread, once per (sender, clientId), acked after
 * commit and then pushed to every member's devices; history by seq; receipts that only go forward.
 */
export class MessagesService {
	private readonly batch: CommitBatch;

	constructor(private readonly deps: MessagesDeps) {
		this.batch = new CommitBatch({ db: deps.db, log: deps.log });
	}

	async list(userId: string, input: { threadId: string; beforeSeq?: number; afterSeq?: number; limit?: number }): Promise<{ messages: Message[]; hasMore: boolean; lastChangeSeq: number }> {
		// Read before the page (message actions): a change after this number is in the page or in the feed.
		const member = await this.deps.threads.requireMember(input.threadId, userId);
		const { rows, hasMore } = await repo.listPage(this.deps.db, { ...input, limit: input.limit ?? CHAT_LIMITS.messagesPageDefault });
		const [files, reactions] = await Promise.all([fileRefsOf(this.deps.db, rows), actionsRepo.reactionsOf(this.deps.db, rows.map((r) => r.id))]);
		return { messages: rows.map((row) => toMessage(row, files, reactions)), hasMore, lastChangeSeq: Number(member.last_change_seq ?? 0) };
	}

	/**
	 * Stores a text message, or with `fileId` a file message carrying a finished file of the sender's
	 * (sent from the Files page, or again to another chat), and returns it once it is durable. A
	 * clientId the sender used before gives back the first message and stores nothing (a resend after a
	 * lost ack, on any node).
	 */
	async send(userId: string, input: { threadId: string; clientId: string; text?: string; fileId?: string; replyToSeq?: number }): Promise<Message> {
		// One query checks membership and tells the thread's kind (and a private thread's members: its
		// two users for good, so they are who gets the message), the blocks and friendship between them,
		// and whether this clientId is stored already. A group's members change: who gets a message is
		// read in its transaction, at its seq (`store`); this read only refuses outsiders early.
		const audience = await sendCheck(this.deps.db, { threadId: input.threadId, userId, clientId: input.clientId });
		// A resend is answered with the first message whatever changed since (membership, blocks, limits).
		if (!audience || audience.earlierId !== null) {
			const earlier = await repo.findByClientId(this.deps.db, userId, input.clientId);
			if (earlier) return this.resent(earlier, input.threadId, earlier.file_id ? await fileRefsOf(this.deps.db, [earlier]) : undefined);
			if (!audience) throw notFound(input.threadId);
		}
		if (audience.peer && this.deps.blocks) {
			const refusal = await refusalToWrite(this.deps.db, audience.peer, audience.memberIds.find((id) => id !== userId)!);
			if (refusal) throw refusal;
		}
		const file = input.fileId === undefined ? null : await this.ownFile(userId, input.fileId);
		const reply = input.replyToSeq === undefined ? undefined : await this.quote(input.threadId, input.replyToSeq);
		// Only new messages count against the limit: resending what is stored must always work.
		await this.deps.sendLimiter.consume(userId);
		const what = file ? { kind: 'file' as const, text: null, file } : { kind: 'text' as const, text: input.text ?? '', file: null };
		const message = await this.store(userId, { threadId: input.threadId, clientId: input.clientId, ...what, reply }, audience.kind === 'private' ? audience.memberIds : undefined);
		// The message ends the sender's "typing…" on the peer's screen, so the next typing is relayed at
		// once rather than dropped by the interval the last one opened. Not awaited: if it is lost, a
		// typing indicator comes up to 2 s late, nothing more.
		this.deps.kv.del(`typing:${userId}:${input.threadId}`).catch(() => undefined);
		return message;
	}

	/**
	 * Stores a message of kind `file` for a finished upload, through the same gapless insert as text,
	 * and delivers it the same way. The file's id is the clientId, so finishing the same upload twice
	 * (a retried last PATCH, a HEAD that finishes an interrupted completion) stores one message.
	 * Not rate-limited: uploads are bounded by size and quota instead.
	 */
	async sendFile(userId: string, input: { threadId: string; file: FileRef }): Promise<Message> {
		const files = new Map([[input.file.id, input.file]]);
		const earlier = await repo.findByClientId(this.deps.db, userId, input.file.id);
		if (earlier?.file_id === input.file.id) return toMessage(earlier, files);
		if (earlier) throw new AppError('conflict', `clientId "${input.file.id}" already names message "${earlier.id}", which is not file "${input.file.id}"`);
		await this.assertMayPost(userId, input.threadId);
		return this.store(userId, { threadId: input.threadId, clientId: input.file.id, kind: 'file', text: null, file: input.file });
	}

	/**
	 * Stores the line a call leaves in its thread: kind `call`, sent by the caller, its stored text the
	 * JSON of the summary (shown by `toMessage` as `call` plus a line for people). The call's id is the
	 * clientId, so a call is recorded once. Not rate-limited: the server writes it, not the user.
	 */
	async sendCall(callerId: string, input: { threadId: string; callId: string; summary: CallSummary }): Promise<Message> {
		const earlier = await repo.findByClientId(this.deps.db, callerId, input.callId);
		if (earlier) return toMessage(earlier);
		return this.store(callerId, { threadId: input.threadId, clientId: input.callId, kind: 'call', text: JSON.stringify(input.summary), file: null });
	}

	/**
	 * Stores the line a live stream leaves in its thread when it ends (kind `live`, sent by the
	 * streamer, its stored text the JSON of the summary), once per stream: the live id is the clientId.
	 */
	async sendLive(streamerId: string, input: { threadId: string; liveId: string; summary: LiveSummary }): Promise<Message> {
		const earlier = await repo.findByClientId(this.deps.db, streamerId, input.liveId);
		if (earlier) return toMessage(earlier);
		return this.store(streamerId, { threadId: input.threadId, clientId: input.liveId, kind: 'live', text: JSON.stringify(input.summary), file: null });
	}

	/**
	 * Throws unless `userId` may post in the thread now: a member, and in a private thread still friends
	 * with the other and neither blocked (docs/PROTOCOL.md "Unfriend and block"). Uploads check it first.
	 */
	async assertMayPost(userId: string, threadId: string): Promise<void> {
		const audience = await threadsRepo.audienceOf(this.deps.db, threadId, userId);
		if (!audience) throw notFound(threadId);
		if (audience.kind === 'private') await this.assertMayWriteTo(userId, audience.memberIds);
	}

	/**
	 * The ref of a finished file `userId` uploaded. An unfinished upload has no file row yet, so it is
	 * `not_found` like an id that names nothing; a file the user can see but did not upload is `forbidden`.
	 */
	private async ownFile(userId: string, fileId: string): Promise<FileRef> {
		const file = await filesRepo.findById(this.deps.db, fileId);
		if (file && file.owner_id === userId) return toFileRef(file);
		if (file && (await filesRepo.canRead(this.deps.db, file, userId))) {
			throw new AppError('forbidden', `file "${fileId}" is not yours: only the person who uploaded it can send it to a chat`);
		}
		throw new AppError('not_found', `file "${fileId}" not found: no finished upload of yours has this id`);
	}

	private async assertMayWriteTo(userId: string, memberIds: string[]): Promise<void> {
		const other = memberIds.find((id) => id !== userId);
		if (other && this.deps.blocks) await this.deps.blocks.assertMayWrite(userId, other);
	}

	/** Raises the reader's readSeq (and deliveredSeq) to `seq`, at most the thread's last seq. */
	async markRead(userId: string, input: { threadId: string; seq: number }): Promise<void> {
		await this.raise(userId, input.threadId, input.seq, true);
	}

	/** Raises the member's deliveredSeq to `seq`, at most the thread's last seq (extension). */
	async markDelivered(userId: string, input: { threadId: string; seq: number }): Promise<void> {
		await this.raise(userId, input.threadId, input.seq, false);
	}

	/** Relays "typing" to the thread's other members, at most once per interval per user and thread. */
	async typing(userId: string, input: { threadId: string }): Promise<void> {
		const key = `typing:${userId}:${input.threadId}`;
		if (!(await this.deps.kv.setIfAbsent(key, '1', this.deps.typingIntervalMs))) return;
		const members = await threadsRepo.memberIdsOf(this.deps.db, input.threadId);
		if (!members.includes(userId)) {
			await this.deps.kv.del(key);
			throw notFound(input.threadId);
		}
		this.deps.emitter.toUsers(
			members.filter((id) => id !== userId),
			'typing',
			{ threadId: input.threadId, userId }
		);
	}

	/**
	 * Inserts under the thread's next seq (retrying deadlock victims), then emits `message:new` to the
	 * members at that seq. `members`: the caller has just read them and they cannot change (a private
	 * thread's text or file); the message then goes in with the sends of the same moment, in one commit
	 * (commit-batch.ts). Without it (a group, or a caller that did not read them) they are read inside the
	 * insert's transaction, after the seq bump: the thread row's lock orders that read after every
	 * membership change with a lower seq and before every one with a higher seq, so a message reaches
	 * exactly the members at its seq. A sender who is no longer one of them gets `not_found` and the
	 * seq is given back.
	 */
	private async store(
		userId: string,
		input: { threadId: string; clientId: string; kind: MessageKind; text: string | null; file: FileRef | null; reply?: Reply },
		members?: string[]
	): Promise<Message> {
		const { db } = this.deps;
		let stored: { row: repo.MessageRow; to: string[] };
		try {
			const next = () => ({
				id: newId(),
				thread_id: input.threadId,
				sender_id: userId,
				client_id: input.clientId,
				kind: input.kind,
				text: input.text,
				file_id: input.file?.id ?? null,
				created_at: nowIso(),
				...input.reply
			});
			// A private thread (text or file): with whatever else is being sent now, in one commit.
			stored = members !== undefined ? { row: await this.batch.store(next()), to: members } : await this.storeReadingMembers(userId, input, next);
		} catch (error) {
			// The same clientId raced itself (two devices or a quick resend): the first one won.
			const duplicate = error instanceof DuplicateClientId;
			if (!duplicate && !isUniqueViolation(error)) throw error;
			const first = (duplicate ? error.first : undefined) ?? (await repo.findByClientId(db, userId, input.clientId));
			if (!first) throw error;
			const files = input.file ? new Map([[input.file.id, input.file]]) : undefined;
			return input.kind === 'file' && input.clientId === input.file?.id ? toMessage(first, files) : this.resent(first, input.threadId, files);
		}
		const message = toMessage(stored.row, input.file ? new Map([[input.file.id, input.file]]) : undefined);
		// One emit to every member's room (through the adapter in a cluster), not one per member.
		this.deps.emitter.toUsers(stored.to, 'message:new', { message });
		this.deps.stored?.(message, stored.to);
		return message;
	}

	/** `store` without the members: inserts and reads them in one transaction (retried when a deadlock's victim). */
	private storeReadingMembers(userId: string, input: { threadId: string; kind: MessageKind; text: string | null; reply?: Reply }, next: () => repo.NewMessageRow): Promise<{ row: repo.MessageRow; to: string[] }> {
		const { db, log } = this.deps;
		return retryTransaction(
			async () => {
				// PostgreSQL, when there are no mentions to record with it: one call that holds the
				// thread's lock for no round trip (migration 0009).
				// (Its function stores no quote: a reply takes the transaction too.)
				if (repo.insertsAtOnce(db) && !input.reply && !(input.kind === 'text' && input.text !== null && mentionedNames(input.text).length > 0)) {
					const done = await repo.insertGroupMessage(db, next());
					if (!done) throw notFound(input.threadId);
					return { row: done.row, to: done.memberIds };
				}
				return db.transaction().execute(async (trx) => {
					let stored: { row: repo.MessageRow; memberIds: string[] };
					if (repo.insertsAtOnce(trx)) {
						stored = await repo.insertNextReadingMembers(trx, next());
					} else {
						const row = await repo.insertNext(trx, next());
						stored = { row, memberIds: await threadsRepo.memberIdsOf(trx, row.thread_id, { locking: true }) };
					}
					if (!stored.memberIds.includes(userId)) throw notFound(input.threadId);
					if (input.kind === 'text') await mentionsRepo.recordMentions(trx, stored.row);
					return { row: stored.row, to: stored.memberIds };
				});
			},
			{ log, what: `send to thread "${input.threadId}"` }
		);
	}

	/**
	 * `messages:readers`: the members other than the message's sender who have read it, and those who
	 * have it but have not read it, as the asker sees them.
	 */
	async readers(userId: string, input: { threadId: string; seq: number }): Promise<{ readers: UserCard[]; deliveredTo: UserCard[] }> {
		await this.deps.threads.requireMember(input.threadId, userId);
		const found = await repo.findBySeq(this.deps.db, input.threadId, input.seq);
		if (!found) throw new AppError('not_found', `message ${input.seq} of thread "${input.threadId}" not found`);
		const members = (await threadsRepo.membersOf(this.deps.db, [input.threadId])).filter((m) => m.user_id !== found.sender_id);
		const read = members.filter((m) => Number(m.read_seq) >= input.seq).map((m) => m.user_id);
		const delivered = members.filter((m) => Number(m.read_seq) < input.seq && Number(m.delivered_seq) >= input.seq).map((m) => m.user_id);
		const cards = await this.deps.users.cardsById(userId, [...read, ...delivered]);
		const pick = (ids: string[]) => ids.map((id) => cards.get(id)).filter((c): c is UserCard => c !== undefined);
		return { readers: pick(read), deliveredTo: pick(delivered) };
	}

	/**
	 * The quote of a reply (message actions): the original's seq, sender and first 120 code points (a
	 * file's name, a call's line), copied now so that the reply keeps it when the original is deleted.
	 */
	private async quote(threadId: string, seq: number): Promise<Reply> {
		const row = await repo.findBySeq(this.deps.db, threadId, seq);
		if (!row) throw new AppError('not_found', `message ${seq} of thread "${threadId}" not found`);
		if (row.deleted_at) throw new AppError('conflict', `message ${seq} of thread "${threadId}" was deleted; it cannot be quoted`);
		const shown = toMessage(row, await fileRefsOf(this.deps.db, [row]));
		const said = shown.file && !shown.file.deleted ? shown.file.name : (shown.text ?? '');
		return { reply_seq: row.seq, reply_sender_id: row.sender_id, reply_snippet: snippetOf(said) };
	}

	private resent(first: repo.MessageRow, threadId: string, files?: ReadonlyMap<string, FileRef>): Message {
		if (first.thread_id !== threadId) {
			throw new AppError('conflict', `clientId "${first.client_id}" was already used for message "${first.id}" in another thread; make a new one per message`);
		}
		return toMessage(first, files);
	}

	private async raise(userId: string, threadId: string, seq: number, read: boolean): Promise<void> {
		const member = await this.deps.threads.requireMember(threadId, userId);
		const target = Math.min(seq, Number(member.last_seq));
		const unchanged = target <= Number(member.delivered_seq) && (!read || target <= Number(member.read_seq));
		if (unchanged) return;
		const stored = await threadsRepo.raiseReceipts(this.deps.db, { threadId, userId, deliveredSeq: target, readSeq: read ? target : undefined });
		if (!stored) return;
		this.deps.emitter.toUsers(await threadsRepo.memberIdsOf(this.deps.db, threadId), 'message:status', {
			threadId,
			userId,
			deliveredSeq: Number(stored.delivered_seq),
			readSeq: Number(stored.read_seq)
		});
	}
}

type Reply = Pick<repo.MessageRow, 'reply_seq' | 'reply_sender_id' | 'reply_snippet'>;

/** The answer for a thread that does not exist or that the asker is not in: the same for both. */
function notFound(threadId: string): AppError {
	return new AppError('not_found', `thread "${threadId}" not found`);
}
