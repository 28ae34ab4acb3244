import type { Message, MessageStatusEvent, Thread, UserCard } from '$lib/protocol';
import { withProfile } from './cards';
import { applyGroupStatus, mentionsUser } from './groups';
import { NotConnectedError, RequestError, type ChatConnection } from './connection';
import type { Presence } from './presence.svelte';
import { isMuted } from '$lib/notify/decide';
import { countsAsUnread, deletionMovesUnread, isRecordLine, mergedUnread } from './unread';

/**
 * The thread list: each thread's summary (members, last message, receipts, unread count), loaded a page
 * at a time and kept current by live events. Group threads' own events (`thread:updated`,
 * `thread:removed`, members and roles) belong here.
 */
export class Threads {
	byId = $state<Record<string, Thread>>({});
	cursor = $state<string | null>(null);
	loaded = $state(false);

	sorted = $derived(
		Object.values(this.byId).sort((a, b) => (a.updatedAt === b.updatedAt ? (a.id < b.id ? 1 : -1) : a.updatedAt < b.updatedAt ? 1 : -1))
	);
	/** Unread messages in threads that are not muted (the page title's count; muted ones show only in the list). */
	unreadTotal = $derived(Object.values(this.byId).reduce((n, t) => n + (isMuted(t, new Date().toISOString()) ? 0 : t.unread), 0));

	readonly #me: string;
	/** The user's username: live messages naming it count as mentions. */
	readonly #username: string;
	readonly #conn: ChatConnection;
	readonly #presence: Presence;
	readonly #undelivered: (threadId: string, seq: number) => void;
	readonly #blocked: (userId: string) => boolean;
	#loadingPage: Promise<void> | null = null;

	/**
	 * @param options.me the signed-in user's id.
	 * @param options.presence takes the peer's online state from each summary.
	 * @param options.undelivered called with a thread whose newest seq this device has not reported delivered.
	 * @param options.blocked whether the user blocked this person (default: nobody).
	 */
	constructor(options: { me: string; username?: string; conn: ChatConnection; presence: Presence; undelivered: (threadId: string, seq: number) => void; blocked?: (userId: string) => boolean }) {
		this.#me = options.me;
		this.#username = options.username ?? '';
		this.#conn = options.conn;
		this.#presence = options.presence;
		this.#undelivered = options.undelivered;
		this.#blocked = options.blocked ?? (() => false);
	}

	/** True while older threads exist beyond the loaded pages. */
	get more(): boolean {
		return !this.loaded || this.cursor !== null;
	}

	/** Loads the next page of the thread list (the first page on the first call); one page at a time. */
	loadMore(): Promise<void> {
		if (this.loaded && this.cursor === null) return Promise.resolve();
		this.#loadingPage ??= this.loadPage(this.cursor)
			.then(() => undefined)
			.finally(() => (this.#loadingPage = null));
		return this.#loadingPage;
	}

	/** Loads the page after `cursor` (null: a fresh first page; pages loaded earlier stay). */
	async loadPage(cursor: string | null): Promise<Set<string>> {
		const { threads, nextCursor } = await this.#conn.request('threads:list', cursor ? { cursor } : {});
		for (const t of threads) this.put(t);
		this.cursor = nextCursor;
		this.loaded = true;
		return new Set(threads.map((t) => t.id));
	}

	/**
	 * After a reconnection: groups held here that the fresh first page did not bring back may have been
	 * lost while offline (their `thread:removed` missed). Asks for each (at most `max`, skipping `skip`);
	 * those answering `not_found` go to `gone`.
	 */
	async recheckGroups(fresh: Set<string>, skip: (threadId: string) => boolean, gone: (threadId: string) => void, max = 20): Promise<void> {
		const doubtful = Object.values(this.byId)
			.filter((t) => t.kind === 'group' && !fresh.has(t.id) && !skip(t.id))
			.slice(0, max);
		await Promise.all(
			doubtful.map((t) =>
				this.fetch(t.id).catch((error) => {
					if (error instanceof RequestError && error.code === 'not_found') gone(t.id);
				})
			)
		);
	}

	/** Fetches one thread's summary. Offline it does nothing, unless `rethrow`. */
	async fetch(threadId: string, options: { rethrow?: boolean } = {}): Promise<void> {
		try {
			const { thread } = await this.#conn.request('threads:get', { threadId });
			this.put(thread);
		} catch (error) {
			if (options.rethrow || !(error instanceof NotConnectedError)) throw error;
		}
	}

	/** The private thread with a friend (made on first use). */
	async with(userId: string): Promise<Thread> {
		const { thread } = await this.#conn.request('threads:open', { userId });
		this.put(thread);
		return thread;
	}

	/** The other member of a private thread, with what this client knows of them now (none in a group). */
	peerOf(thread: Thread): UserCard | undefined {
		if (thread.kind === 'group') return undefined;
		return thread.peer ?? thread.members.find((m) => m.id !== this.#me);
	}

	/**
	 * Takes a summary from the server (a page, `threads:get`, an ack, `thread:updated`: a group's members,
	 * roles, title and topic are replaced by the server's).
	 */
	put(t: Thread): void {
		const known = this.byId[t.id];
		if (known && t.kind === 'group') {
			// Members' receipts never go back either (a live message:status may be newer than the summary).
			const before = new Map(known.members.map((m) => [m.id, m]));
			t = {
				...t,
				members: t.members.map((m) => {
					const old = before.get(m.id);
					return old ? { ...m, readSeq: Math.max(m.readSeq ?? 0, old.readSeq ?? 0), deliveredSeq: Math.max(m.deliveredSeq ?? 0, old.deliveredSeq ?? 0) } : m;
				})
			};
		}
		// A summary from the server never moves receipts or lastSeq backwards (live events may be newer).
		this.byId[t.id] = known
			? {
					...t,
					lastSeq: Math.max(t.lastSeq, known.lastSeq),
					lastMessage: (known.lastMessage?.seq ?? 0) > (t.lastMessage?.seq ?? 0) ? known.lastMessage : t.lastMessage,
					readSeq: Math.max(t.readSeq, known.readSeq),
					deliveredSeq: Math.max(t.deliveredSeq, known.deliveredSeq),
					peerReadSeq: Math.max(t.peerReadSeq, known.peerReadSeq),
					peerDeliveredSeq: Math.max(t.peerDeliveredSeq, known.peerDeliveredSeq),
					// The count live messages moved is newer than a summary that has not seen them.
					mentions: known.lastSeq > t.lastSeq ? known.mentions : t.mentions,
					updatedAt: t.updatedAt > known.updatedAt ? t.updatedAt : known.updatedAt
				}
			: t;
		const merged = this.byId[t.id];
		merged.unread = mergedUnread(known, t, merged);
		if (merged.unread === 0 && merged.mentions) merged.mentions = 0;
		if (t.kind === 'group') {
			for (const m of t.members) if (m.online !== undefined && m.id !== this.#me) this.#presence.online[m.id] = m.online;
		} else {
			const peer = t.peer ?? t.members.find((m) => m.id !== this.#me);
			if (peer?.online !== undefined) this.#presence.online[peer.id] = peer.online;
		}
		if (merged.lastSeq > merged.deliveredSeq) this.#undelivered(t.id, merged.lastSeq);
	}

	/**
	 * A message in a thread already held: moves its last message, unread count and own receipts. Only
	 * what counts as unread (not one's own, not a call's line) adds to the count; a message past a gap
	 * (others were missed) has the server count again.
	 */
	applyMessage(message: Message): void {
		const thread = this.byId[message.threadId];
		if (!thread) return;
		const fresh = message.seq > thread.lastSeq;
		const gap = message.seq > thread.lastSeq + 1;
		// In a group, a person's message from someone the user blocked is neither unread nor a mention
		// (docs/PROTOCOL.md, "Unfriend and block"); the server leaves it out of both too.
		const fromBlocked = thread.kind === 'group' && message.kind !== 'system' && this.#blocked(message.senderId);
		// A new message naming the user (the server counts these above readSeq: `mentions`).
		if (fresh && message.seq > thread.readSeq && !fromBlocked && this.#username && mentionsUser(thread, message, this.#me, this.#username)) {
			thread.mentions = (thread.mentions ?? 0) + 1;
		}
		if (message.seq >= thread.lastSeq) {
			thread.lastSeq = message.seq;
			thread.lastMessage = message;
			thread.updatedAt = message.createdAt;
		}
		// One's own message reads what came before it; a call's or live stream's line, written for its starter, does not.
		if (message.senderId === this.#me && !isRecordLine(message)) {
			thread.readSeq = Math.max(thread.readSeq, message.seq);
			thread.deliveredSeq = Math.max(thread.deliveredSeq, message.seq);
		}
		if (thread.readSeq >= thread.lastSeq) thread.unread = 0;
		else if (fresh && message.seq > thread.readSeq && countsAsUnread(message, this.#me) && !fromBlocked) thread.unread += 1;
		if (thread.unread === 0 && thread.mentions) thread.mentions = 0;
		if (gap && thread.readSeq < thread.lastSeq) this.#recount(message.threadId);
	}

	/** `message:changed`: someone else's unread message deleted leaves the count; the server counts again. */
	applyChange(message: Message): void {
		const thread = this.byId[message.threadId];
		if (thread && deletionMovesUnread(message, thread, this.#me)) this.#recount(message.threadId);
	}

	/** Asks the server for the thread's summary, whose `unread` is exact; offline the next resync does. */
	#recount(threadId: string): void {
		this.fetch(threadId).catch(() => undefined);
	}

	/** `message:status`: a member's receipts moved (one's own from another device, or the peer's). */
	applyStatus(e: MessageStatusEvent): void {
		const thread = this.byId[e.threadId];
		if (!thread) return;
		if (e.userId === this.#me) {
			const before = thread.readSeq;
			thread.readSeq = Math.max(thread.readSeq, e.readSeq ?? 0);
			thread.deliveredSeq = Math.max(thread.deliveredSeq, e.deliveredSeq ?? 0);
			// Read to the end: nothing unread. Part of the way (another device): which of the rest count
			// only the server knows.
			if (thread.readSeq >= thread.lastSeq) thread.unread = 0;
			else if (thread.readSeq > before && thread.unread > 0) this.#recount(e.threadId);
			if (thread.unread === 0 && thread.mentions) thread.mentions = 0;
		} else if (thread.kind === 'group') {
			applyGroupStatus(thread, e, this.#me);
		} else {
			thread.peerReadSeq = Math.max(thread.peerReadSeq, e.readSeq ?? 0);
			thread.peerDeliveredSeq = Math.max(thread.peerDeliveredSeq, e.deliveredSeq ?? 0, thread.peerReadSeq);
		}
	}

	/** `thread:removed`: the thread leaves the list; resolves to what it was. */
	remove(threadId: string): Thread | undefined {
		const thread = this.byId[threadId];
		if (!thread) return undefined;
		const { [threadId]: _gone, ...rest } = this.byId;
		this.byId = rest;
		return thread;
	}

	/** `user:updated`: shows the new profile in every thread the user is a member of. */
	updateUser(user: UserCard): void {
		for (const t of Object.values(this.byId)) {
			if (!t.members.some((m) => m.id === user.id)) continue;
			t.members = t.members.map((m) => ({ ...m, ...withProfile(m, user) }));
			if (t.peer) t.peer = withProfile(t.peer, user);
		}
	}

	/** `file:deleted`: the thread's last message shows the file as gone. */
	fileDeleted(fileId: string, threadId: string): void {
		const thread = this.byId[threadId];
		if (thread?.lastMessage?.file?.id === fileId) thread.lastMessage = { ...thread.lastMessage, file: { id: fileId, deleted: true } };
	}
}
