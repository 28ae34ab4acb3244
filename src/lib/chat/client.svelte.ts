import type {
	ChatEndpoint,
	ClientToServerEvents,
	Friend,
	FriendRequest,
	Message,
	MessageStatusEvent,
	SessionEndReason,
	Thread,
	User,
	UserCard
} from '$lib/protocol';
import { ChatConnection, NotConnectedError, RequestError, type ChatSocket, type ConnectionState } from './connection';
import { Outbox, type PendingMessage } from './outbox';
import { contiguousTail, deliveryState, mergeMessages, placeLive, type DeliveryState } from './timeline';

const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 2000;

/** One entry of a thread's timeline as the UI shows it: a stored message or one still in the outbox. */
export type TimelineItem =
	| { kind: 'stored'; message: Message; mine: boolean; status: DeliveryState | null }
	| { kind: 'pending'; pending: PendingMessage };

/**
 * Everything the signed-in user sees of chat, kept in step with the server. The database is the
 * truth: after every (re)connection the client reloads the thread list, fetches what came after the
 * last seq it holds in each open thread, and resends its outbox by clientId, so nothing acknowledged is
 * lost and nothing shows twice however the connection comes and goes.
 */
export class ChatClient {
	connection = $state<ConnectionState>('connecting');
	/** Why the session ended, once it has. */
	ended = $state<SessionEndReason | 'expired' | null>(null);

	threads = $state<Record<string, Thread>>({});
	threadsCursor = $state<string | null>(null);
	threadsLoaded = $state(false);
	/** Loaded messages per thread, ascending; replaced (not mutated) on change, so 10,000 stay cheap. */
	messages = $state.raw<Record<string, Message[]>>({});
	olderAvailable = $state<Record<string, boolean>>({});
	pending = $state.raw<readonly PendingMessage[]>([]);

	friends = $state<Friend[]>([]);
	incoming = $state<FriendRequest[]>([]);
	outgoing = $state<FriendRequest[]>([]);
	friendsLoaded = $state(false);
	online = $state<Record<string, boolean>>({});
	/** threadId to the ids of the members typing there now. */
	typing = $state<Record<string, string[]>>({});
	activeThreadId = $state<string | null>(null);
	/**
	 * The open thread is really being looked at: the page is visible and focused and its newest
	 * message is on screen. Set by the UI; only then does the client mark arriving messages read.
	 */
	viewing = $state(false);
	/** The signed-in user's own card as last announced by `user:updated` (another device edited it). */
	selfCard = $state<UserCard | null>(null);

	sortedThreads = $derived(
		Object.values(this.threads).sort((a, b) => (a.updatedAt === b.updatedAt ? (a.id < b.id ? 1 : -1) : a.updatedAt < b.updatedAt ? 1 : -1))
	);
	unreadTotal = $derived(Object.values(this.threads).reduce((n, t) => n + t.unread, 0));

	readonly me: User;
	readonly #conn: ChatConnection;
	readonly #outbox: Outbox;
	#flushing = false;
	#typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
	#typingSentAt = new Map<string, number>();
	#deliverTimers = new Map<string, ReturnType<typeof setTimeout>>();
	#loadingThread = new Map<string, Promise<void>>();
	#loadingThreads: Promise<void> | null = null;
	#flushAgain = false;
	#flushRetry: ReturnType<typeof setTimeout> | null = null;
	/** Receipts the server has not confirmed yet (sent while offline): reported again on reconnect. */
	#unsentReceipts = new Map<string, { delivered: number; read: number }>();
	#unlisten: Array<() => void> = [];
	/** Features riding the same socket (calls): told of every new socket. */
	#socketListeners = new Set<(socket: ChatSocket) => void>();

	constructor(options: { me: User; first?: ChatEndpoint; storage?: Storage | null }) {
		this.me = options.me;
		const storage = options.storage !== undefined ? options.storage : typeof localStorage === 'undefined' ? null : localStorage;
		this.#outbox = new Outbox(storage, `parley:outbox:${options.me.id}`, (items) => (this.pending = items));
		this.pending = this.#outbox.items;
		// Another tab of the same user changed the outbox: take its list, so neither overwrites the other.
		if (typeof window !== 'undefined' && storage) {
			const key = `parley:outbox:${options.me.id}`;
			const onStorage = (event: StorageEvent) => {
				if (event.key === key) this.#outbox.reload();
			};
			window.addEventListener('storage', onStorage);
			this.#unlisten.push(() => window.removeEventListener('storage', onStorage));
		}
		this.#conn = new ChatConnection(
			{
				connected: (socket) => this.#onConnected(socket),
				state: (state) => (this.connection = state),
				ended: (reason) => (this.ended = reason)
			},
			options.first
		);
	}

	start(): void {
		this.#conn.start();
	}

	stop(): void {
		this.#conn.stop();
		for (const t of [...this.#typingTimers.values(), ...this.#deliverTimers.values()]) clearTimeout(t);
		if (this.#flushRetry) clearTimeout(this.#flushRetry);
		for (const off of this.#unlisten.splice(0)) off();
	}

	reconnectNow(): void {
		this.#conn.reconnectNow();
	}

	/**
	 * For features that ride the chat socket (calls): `listener` gets every new socket (the first and
	 * each after a reconnect), and the current one at once. Returns the unsubscribe.
	 */
	onSocket(listener: (socket: ChatSocket) => void): () => void {
		this.#socketListeners.add(listener);
		const now = this.#conn.socket;
		if (now) listener(now);
		return () => this.#socketListeners.delete(listener);
	}

	/** A request on the chat socket: resolves to its ack data; rejects with RequestError or NotConnectedError. */
	request<E extends keyof ClientToServerEvents>(event: E, payload: Parameters<ClientToServerEvents[E]>[0], timeoutMs?: number) {
		return this.#conn.request(event, payload, timeoutMs);
	}

	// ---- threads and messages ------------------------------------------------------------------

	/** True while older threads exist beyond the loaded pages. */
	get moreThreads(): boolean {
		return !this.threadsLoaded || this.threadsCursor !== null;
	}

	/** Loads the next page of the thread list (the first page on the first call); one page at a time. */
	loadMoreThreads(): Promise<void> {
		if (this.threadsLoaded && this.threadsCursor === null) return Promise.resolve();
		this.#loadingThreads ??= this.#loadThreadsPage(this.threadsCursor).finally(() => (this.#loadingThreads = null));
		return this.#loadingThreads;
	}

	async #loadThreadsPage(cursor: string | null): Promise<void> {
		const { threads, nextCursor } = await this.#conn.request('threads:list', cursor ? { cursor } : {});
		for (const t of threads) this.#putThread(t);
		this.threadsCursor = nextCursor;
		this.threadsLoaded = true;
	}

	/** Makes `threadId` the open thread: loads it and its newest page if needed (and marks it read if viewed). */
	async open(threadId: string | null): Promise<void> {
		this.activeThreadId = threadId;
		if (!threadId) return;
		if (!this.threads[threadId]) await this.#fetchThread(threadId, { rethrow: true });
		if (!this.messages[threadId]) await this.#loadNewest(threadId);
		if (this.viewing && this.activeThreadId === threadId) this.markRead(threadId);
	}

	/** Loads the page before the oldest loaded message; resolves to how many came. */
	async loadOlder(threadId: string): Promise<number> {
		const list = this.messages[threadId];
		if (!list || list.length === 0 || !this.olderAvailable[threadId]) return 0;
		const { messages, hasMore } = await this.#conn.request('messages:list', { threadId, beforeSeq: list[0].seq, limit: 50 });
		this.#setMessages(threadId, mergeMessages(this.messages[threadId] ?? [], messages));
		this.olderAvailable[threadId] = hasMore;
		return messages.length;
	}

	/**
	 * Fetches what `threadId` has beyond the messages held (a message whose live event was missed, such
	 * as a file's, posted by the server while the socket was down). Rejects when offline.
	 */
	refresh(threadId: string): Promise<void> {
		return this.messages[threadId] ? this.#catchUp(threadId) : this.#loadNewest(threadId);
	}

	timeline(threadId: string): TimelineItem[] {
		const thread = this.threads[threadId];
		const peer = { deliveredSeq: thread?.peerDeliveredSeq ?? 0, readSeq: thread?.peerReadSeq ?? 0 };
		const stored = this.messages[threadId] ?? [];
		const storedIds = new Set<string>();
		const items: TimelineItem[] = stored.map((message) => {
			const mine = message.senderId === this.me.id;
			if (mine) storedIds.add(message.clientId);
			return { kind: 'stored', message, mine, status: mine ? deliveryState(message.seq, peer) : null };
		});
		for (const p of this.pending) if (p.threadId === threadId && !storedIds.has(p.clientId)) items.push({ kind: 'pending', pending: p });
		return items;
	}

	/** Queues a message and sends it as soon as the connection allows. */
	send(threadId: string, text: string): void {
		this.#outbox.add(threadId, text);
		// The message ends the peer's "typing…"; typing the next one must say so at once, not up to 2 s later.
		this.#typingSentAt.delete(threadId);
		void this.#flush();
	}

	retry(clientId: string): void {
		this.#outbox.retry(clientId);
		void this.#flush();
	}

	discard(clientId: string): void {
		this.#outbox.remove(clientId);
	}

	/** Tells the server the user has read `threadId` up to its newest message, when the page is seen. */
	markRead(threadId: string): void {
		const thread = this.threads[threadId];
		if (!thread || thread.lastSeq <= thread.readSeq) return;
		if (typeof document !== 'undefined' && document.visibilityState !== 'visible') return;
		const seq = thread.lastSeq;
		thread.readSeq = seq;
		thread.deliveredSeq = Math.max(thread.deliveredSeq, seq);
		thread.unread = 0;
		this.#sendReceipt(threadId, 'read', seq);
	}

	/** Reports a receipt; one the server did not take (offline) is kept and sent again on reconnect. */
	#sendReceipt(threadId: string, kind: 'delivered' | 'read', seq: number): void {
		const unsent = this.#unsentReceipts.get(threadId) ?? { delivered: 0, read: 0 };
		unsent[kind] = Math.max(unsent[kind], seq);
		if (kind === 'read') unsent.delivered = Math.max(unsent.delivered, seq);
		this.#unsentReceipts.set(threadId, unsent);
		this.#conn.request(kind === 'read' ? 'messages:read' : 'messages:delivered', { threadId, seq }).then(
			() => {
				const now = this.#unsentReceipts.get(threadId);
				if (!now) return;
				if (now[kind] <= seq) now[kind] = 0;
				if (kind === 'read' && now.delivered <= seq) now.delivered = 0;
				if (now.delivered === 0 && now.read === 0) this.#unsentReceipts.delete(threadId);
			},
			(error) => {
				// Not a member any more, or the like: nothing to report again.
				if (!(error instanceof NotConnectedError)) this.#unsentReceipts.delete(threadId);
			}
		);
	}

	/** Lets the other members know the user is typing (at most every 2 s). */
	typingIn(threadId: string): void {
		const last = this.#typingSentAt.get(threadId) ?? 0;
		if (Date.now() - last < TYPING_SENT_EVERY_MS) return;
		this.#typingSentAt.set(threadId, Date.now());
		this.#conn.socket?.emit('typing', { threadId });
	}

	// ---- people ----------------------------------------------------------------------------------

	/** Cards by id, in the order asked (your own id gives your card with your bio). */
	async users(userIds: string[]): Promise<UserCard[]> {
		return (await this.#conn.request('users:get', { userIds })).users;
	}

	async search(query: string): Promise<UserCard[]> {
		return (await this.#conn.request('users:search', { query, limit: 20 })).users;
	}

	async requestFriend(userId: string, message?: string): Promise<void> {
		const res = await this.#conn.request('friends:request', message ? { userId, message } : { userId });
		if (res.friend && res.thread) this.#addFriend(res.friend, res.thread);
		else this.#putRequest(res.request);
	}

	async respond(requestId: string, accept: boolean): Promise<Thread | undefined> {
		const res = await this.#conn.request('friends:respond', { requestId, accept });
		this.incoming = this.incoming.filter((r) => r.id !== requestId);
		if (res.friend && res.thread) this.#addFriend(res.friend, res.thread);
		return res.thread;
	}

	async cancelRequest(requestId: string): Promise<void> {
		await this.#conn.request('friends:cancel', { requestId });
		this.outgoing = this.outgoing.filter((r) => r.id !== requestId);
	}

	/** The private thread with a friend (made on first use). */
	async threadWith(userId: string): Promise<Thread> {
		const { thread } = await this.#conn.request('threads:open', { userId });
		this.#putThread(thread);
		return thread;
	}

	isOnline(userId: string): boolean {
		return this.online[userId] ?? false;
	}

	/** The other member of a private thread, with what this client knows of them now. */
	peerOf(thread: Thread): UserCard | undefined {
		return thread.peer ?? thread.members.find((m) => m.id !== this.me.id);
	}

	// ---- connection ------------------------------------------------------------------------------

	#onConnected(socket: ChatSocket): void {
		socket.on('message:new', ({ message }) => void this.#onMessage(message));
		socket.on('message:status', (e) => this.#onStatus(e));
		socket.on('friends:requested', ({ request }) => this.#putRequest(request));
		socket.on('friends:added', ({ friend, thread }) => this.#addFriend(friend, thread));
		socket.on('friends:closed', ({ requestId }) => {
			this.incoming = this.incoming.filter((r) => r.id !== requestId);
			this.outgoing = this.outgoing.filter((r) => r.id !== requestId);
		});
		socket.on('presence', ({ userId, online }) => (this.online[userId] = online));
		socket.on('typing', ({ threadId, userId }) => this.#onTyping(threadId, userId));
		socket.on('user:updated', ({ user }) => this.#onUserUpdated(user));
		socket.on('file:deleted', ({ fileId, threadId }) => this.#onFileDeleted(fileId, threadId));
		for (const listener of this.#socketListeners) listener(socket);
		void this.#resync();
	}

	async #resync(): Promise<void> {
		// The outbox first: what was written offline should not wait behind the history fetches.
		void this.#flush();
		try {
			// A fresh first page; pages loaded earlier stay (their threads are still known).
			await Promise.all([this.#loadThreadsPage(null), this.#loadFriends()]);
			for (const [threadId, { delivered, read }] of [...this.#unsentReceipts]) {
				if (read) this.#sendReceipt(threadId, 'read', read);
				if (delivered > read) this.#sendReceipt(threadId, 'delivered', delivered);
			}
			// Fill every hole the disconnection left in the threads this client holds.
			await Promise.all(Object.keys(this.messages).map((id) => this.#catchUp(id)));
			const active = this.activeThreadId;
			if (active && !this.messages[active]) {
				// The thread was opened while offline: load it now.
				if (!this.threads[active]) await this.#fetchThread(active);
				if (this.threads[active]) await this.#loadNewest(active);
			}
			if (active && this.viewing) this.markRead(active);
		} catch (error) {
			if (!(error instanceof NotConnectedError)) console.error('chat resync failed', error);
		}
	}

	async #loadFriends(): Promise<void> {
		const { friends, incoming, outgoing } = await this.#conn.request('friends:list', {});
		this.friends = friends;
		this.incoming = incoming;
		this.outgoing = outgoing;
		for (const f of friends) this.online[f.user.id] = f.online;
		this.friendsLoaded = true;
	}

	/** Sends the outbox in order, one at a time, so messages keep the order they were written in. */
	async #flush(): Promise<void> {
		if (this.#flushing) {
			// A run is under way but may be about to give up (its socket just died): run again after it.
			this.#flushAgain = true;
			return;
		}
		this.#flushing = true;
		if (this.#flushRetry) clearTimeout(this.#flushRetry);
		this.#flushRetry = null;
		try {
			for (let item = this.#outbox.next(); item && this.#conn.socket; item = this.#outbox.next()) {
				try {
					const { message } = await this.#conn.request('messages:send', { threadId: item.threadId, clientId: item.clientId, text: item.text });
					this.#outbox.remove(item.clientId);
					await this.#onMessage(message);
				} catch (error) {
					if (error instanceof NotConnectedError) {
						// No answer on a socket that is still up: try again shortly (same clientId, so never twice).
						if (this.#conn.socket) this.#retryFlushIn(3000);
						break;
					}
					if (error instanceof RequestError && error.code === 'rate_limited') {
						this.#retryFlushIn(2000);
						break;
					}
					this.#outbox.fail(item.clientId, error instanceof Error ? error.message : String(error));
				}
			}
		} finally {
			this.#flushing = false;
		}
		if (this.#flushAgain) {
			this.#flushAgain = false;
			if (this.#conn.socket && this.#outbox.next()) void this.#flush();
		}
	}

	#retryFlushIn(ms: number): void {
		if (this.#flushRetry) return;
		this.#flushRetry = setTimeout(() => {
			this.#flushRetry = null;
			void this.#flush();
		}, ms);
	}

	async #onMessage(message: Message): Promise<void> {
		const mine = message.senderId === this.me.id;
		// The ack may have been lost while the message was stored: its echo settles the outbox.
		if (mine) this.#outbox.remove(message.clientId);
		let thread = this.threads[message.threadId];
		if (!thread) {
			await this.#fetchThread(message.threadId);
			thread = this.threads[message.threadId];
			if (!thread) return;
		}
		if (message.seq >= thread.lastSeq) {
			thread.lastSeq = message.seq;
			thread.lastMessage = message;
			thread.updatedAt = message.createdAt;
		}
		if (mine) {
			thread.readSeq = Math.max(thread.readSeq, message.seq);
			thread.deliveredSeq = Math.max(thread.deliveredSeq, message.seq);
		}
		thread.unread = Math.max(0, thread.lastSeq - thread.readSeq);
		this.#clearTyping(message.threadId, message.senderId);

		const list = this.messages[message.threadId];
		const place = placeLive(list, message);
		if (place === 'append') this.#setMessages(message.threadId, [...list!, message]);
		else if (place === 'gap') await this.#catchUp(message.threadId);

		if (!mine) {
			this.#reportDelivered(message.threadId, message.seq);
			if (this.activeThreadId === message.threadId && this.viewing) this.markRead(message.threadId);
		}
	}

	#onStatus(e: MessageStatusEvent): void {
		const thread = this.threads[e.threadId];
		if (!thread) return;
		if (e.userId === this.me.id) {
			thread.readSeq = Math.max(thread.readSeq, e.readSeq ?? 0);
			thread.deliveredSeq = Math.max(thread.deliveredSeq, e.deliveredSeq ?? 0);
			thread.unread = Math.max(0, thread.lastSeq - thread.readSeq);
		} else {
			thread.peerReadSeq = Math.max(thread.peerReadSeq, e.readSeq ?? 0);
			thread.peerDeliveredSeq = Math.max(thread.peerDeliveredSeq, e.deliveredSeq ?? 0, thread.peerReadSeq);
		}
	}

	#onTyping(threadId: string, userId: string): void {
		if (userId === this.me.id) return;
		const key = `${threadId}:${userId}`;
		clearTimeout(this.#typingTimers.get(key));
		if (!(this.typing[threadId] ?? []).includes(userId)) this.typing[threadId] = [...(this.typing[threadId] ?? []), userId];
		this.#typingTimers.set(
			key,
			setTimeout(() => this.#clearTyping(threadId, userId), TYPING_SHOWN_MS)
		);
	}

	#clearTyping(threadId: string, userId: string): void {
		clearTimeout(this.#typingTimers.get(`${threadId}:${userId}`));
		this.#typingTimers.delete(`${threadId}:${userId}`);
		const now = this.typing[threadId];
		if (now?.includes(userId)) this.typing[threadId] = now.filter((id) => id !== userId);
	}

	#onUserUpdated(user: UserCard): void {
		if (user.id === this.me.id) this.selfCard = user;
		const merge = (card: UserCard) => (card.id === user.id ? { ...card, displayName: user.displayName, bio: user.bio } : card);
		this.friends = this.friends.map((f) => (f.user.id === user.id ? { ...f, user: merge(f.user) } : f));
		this.incoming = this.incoming.map((r) => ({ ...r, from: merge(r.from) }));
		this.outgoing = this.outgoing.map((r) => ({ ...r, to: merge(r.to) }));
		for (const t of Object.values(this.threads)) {
			if (!t.members.some((m) => m.id === user.id)) continue;
			t.members = t.members.map(merge);
			if (t.peer) t.peer = merge(t.peer);
		}
	}

	/** The owner deleted a file: its messages stay, showing the file as gone (as `messages:list` will). */
	#onFileDeleted(fileId: string, threadId: string): void {
		const gone = (m: Message): Message => (m.file?.id === fileId ? { ...m, file: { id: fileId, deleted: true } } : m);
		const list = this.messages[threadId];
		if (list?.some((m) => m.file?.id === fileId)) this.#setMessages(threadId, list.map(gone));
		const thread = this.threads[threadId];
		if (thread?.lastMessage?.file?.id === fileId) thread.lastMessage = gone(thread.lastMessage);
	}

	#reportDelivered(threadId: string, seq: number): void {
		const thread = this.threads[threadId];
		if (thread) thread.deliveredSeq = Math.max(thread.deliveredSeq, seq);
		clearTimeout(this.#deliverTimers.get(threadId));
		this.#deliverTimers.set(
			threadId,
			setTimeout(() => {
				this.#deliverTimers.delete(threadId);
				this.#sendReceipt(threadId, 'delivered', this.threads[threadId]?.deliveredSeq ?? seq);
			}, 250)
		);
	}

	#putThread(t: Thread): void {
		const known = this.threads[t.id];
		// A summary from the server never moves receipts or lastSeq backwards (live events may be newer).
		this.threads[t.id] = known
			? {
					...t,
					lastSeq: Math.max(t.lastSeq, known.lastSeq),
					lastMessage: (known.lastMessage?.seq ?? 0) > (t.lastMessage?.seq ?? 0) ? known.lastMessage : t.lastMessage,
					readSeq: Math.max(t.readSeq, known.readSeq),
					deliveredSeq: Math.max(t.deliveredSeq, known.deliveredSeq),
					peerReadSeq: Math.max(t.peerReadSeq, known.peerReadSeq),
					peerDeliveredSeq: Math.max(t.peerDeliveredSeq, known.peerDeliveredSeq),
					updatedAt: t.updatedAt > known.updatedAt ? t.updatedAt : known.updatedAt
				}
			: t;
		const merged = this.threads[t.id];
		merged.unread = Math.max(0, merged.lastSeq - merged.readSeq);
		const peer = t.peer ?? t.members.find((m) => m.id !== this.me.id);
		if (peer?.online !== undefined) this.online[peer.id] = peer.online;
		if (merged.lastSeq > merged.deliveredSeq) this.#reportDelivered(t.id, merged.lastSeq);
	}

	async #fetchThread(threadId: string, options: { rethrow?: boolean } = {}): Promise<void> {
		try {
			const { thread } = await this.#conn.request('threads:get', { threadId });
			this.#putThread(thread);
		} catch (error) {
			if (options.rethrow || !(error instanceof NotConnectedError)) throw error;
		}
	}

	async #loadNewest(threadId: string): Promise<void> {
		const running = this.#loadingThread.get(threadId);
		if (running) return running;
		const job = (async () => {
			const { messages, hasMore } = await this.#conn.request('messages:list', { threadId, limit: 50 });
			this.#setMessages(threadId, mergeMessages(this.messages[threadId] ?? [], messages));
			this.olderAvailable[threadId] = hasMore;
			// A message stored after the page was read arrived while the thread was not loaded yet, and was
			// passed over: fetch what the thread has beyond the page.
			const list = this.messages[threadId];
			const tail = list.length > 0 ? list[list.length - 1].seq : 0;
			if ((this.threads[threadId]?.lastSeq ?? 0) > tail) await this.#catchUp(threadId);
		})().finally(() => this.#loadingThread.delete(threadId));
		this.#loadingThread.set(threadId, job);
		return job;
	}

	/** Fetches everything after the last seq held, page by page, until the server has no more. */
	async #catchUp(threadId: string): Promise<void> {
		for (let guard = 0; guard < 1000; guard++) {
			const list = this.messages[threadId] ?? [];
			const afterSeq = contiguousTail(list);
			const { messages, hasMore } = await this.#conn.request('messages:list', { threadId, afterSeq, limit: 100 });
			this.#setMessages(threadId, mergeMessages(this.messages[threadId] ?? [], messages));
			if (!hasMore || messages.length === 0) return;
		}
	}

	#setMessages(threadId: string, list: Message[]): void {
		this.messages = { ...this.messages, [threadId]: list };
	}

	#putRequest(request: FriendRequest): void {
		if (request.status !== 'pending') return;
		if (request.to.id === this.me.id) {
			if (!this.incoming.some((r) => r.id === request.id)) this.incoming = [request, ...this.incoming];
		} else if (!this.outgoing.some((r) => r.id === request.id)) this.outgoing = [request, ...this.outgoing];
	}

	#addFriend(friend: Friend, thread: Thread): void {
		this.friends = [...this.friends.filter((f) => f.user.id !== friend.user.id), friend];
		this.incoming = this.incoming.filter((r) => r.from.id !== friend.user.id);
		this.outgoing = this.outgoing.filter((r) => r.to.id !== friend.user.id);
		this.online[friend.user.id] = friend.online;
		this.#putThread(thread);
	}
}
