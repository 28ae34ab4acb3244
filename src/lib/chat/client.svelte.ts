import type { ChatEndpoint, ClientToServerEvents, Message, SessionEndReason, Thread, User, UserCard } from '$lib/protocol';
import { MessageActionsClient } from './actions.svelte';
import { ChatConnection, type ChatSocket, type ConnectionState } from './connection';
import { Friends } from './friends.svelte';
import { Groups } from './groups.svelte';
import { Messages, type TimelineItem } from './messages.svelte';
import type { PendingMessage } from './outbox';
import { Presence } from './presence.svelte';
import { Receipts } from './receipts';
import { Sender } from './sender.svelte';
import { arrived, changed, listen, removed, resync, type SyncParts } from './sync';
import { Threads } from './threads.svelte';

/**
 * Everything the signed-in user sees of chat, kept in step with the server. The database is the
 * truth: after every (re)connection the client reloads the thread list, fetches what came after the
 * last seq it holds in each open thread, and resends its outbox by clientId, so nothing acknowledged is
 * lost and nothing shows twice however the connection comes and goes.
 *
 * This class runs the session: the connection, and what the page reads and asks. `sync.ts` applies
 * the live events, the resync, and what a stored message, a change or a lost thread does. The state
 * lives in one store per concern, which know of each other only what their constructors are given:
 * `Threads` (summaries, the peer's receipts), `Messages` (loaded timelines), `Sender` (the outbox),
 * `Receipts` (the user's own), `Presence` (online, typing) and `Friends`. The components read threads, messages and presence
 * through this class; friends and requests, which nothing else here uses, directly as `people`.
 */
export class ChatClient {
	connection = $state<ConnectionState>('connecting');
	/** Why the session ended, once it has. */
	ended = $state<SessionEndReason | 'expired' | null>(null);
	activeThreadId = $state<string | null>(null);
	/**
	 * The open thread is really being looked at: the page is visible and focused and its newest
	 * message is on screen. Set by the UI; only then does the client mark arriving messages read.
	 */
	viewing = $state(false);
	/** The signed-in user's own card as last announced by `user:updated` (another device edited it). */
	selfCard = $state<UserCard | null>(null);
	/**
	 * The open thread went away (`thread:removed`): the page goes back to the list and shows `text`
	 * ("You were removed from Hikers") until dismissed.
	 */
	notice = $state<{ threadId: string; text: string } | null>(null);
	/**
	 * Whether the user blocked this person: their group messages are not unread. Set by `blocksOf(client)`
	 * (`Blocks`, which keeps the list live); until then, nobody.
	 */
	isBlocked: (userId: string) => boolean = () => false;

	readonly me: User;
	/** Friends, friend requests, and looking people up. */
	readonly people: Friends;
	/** Making and changing groups. */
	readonly groups: Groups;
	/** Reply, edit, delete, react (message actions). */
	readonly actions: MessageActionsClient;
	readonly #conn: ChatConnection;
	readonly #presence: Presence;
	readonly #threads: Threads;
	readonly #receipts: Receipts;
	readonly #messages: Messages;
	readonly #sender: Sender;
	/** What `sync.ts` applies the server's news to. */
	readonly #sync: SyncParts;
	/** Features riding the same socket (calls): told of every new socket. */
	#socketListeners = new Set<(socket: ChatSocket) => void>();
	/** Told of each live message from someone else, once its thread is current (notifications). */
	#messageListeners = new Set<(message: Message, thread: Thread) => void>();

	constructor(options: { me: User; first?: ChatEndpoint; storage?: Storage | null }) {
		this.me = options.me;
		const me = options.me.id;
		const storage = options.storage !== undefined ? options.storage : typeof localStorage === 'undefined' ? null : localStorage;
		this.#conn = new ChatConnection(
			{
				connected: (socket) => this.#onConnected(socket),
				state: (state) => (this.connection = state),
				ended: (reason) => (this.ended = reason)
			},
			options.first
		);
		const conn = this.#conn;
		this.#sender = new Sender({ me, conn, storage, stored: (message) => arrived(this.#sync, message) });
		this.#presence = new Presence({ me, conn });
		this.#threads = new Threads({
			me,
			username: options.me.username,
			conn,
			presence: this.#presence,
			undelivered: (threadId, seq) => this.#receipts.reportDelivered(threadId, seq),
			blocked: (userId) => this.isBlocked(userId)
		});
		this.#receipts = new Receipts({ threads: this.#threads, conn });
		this.#messages = new Messages({ me, conn, threads: this.#threads });
		this.actions = new MessageActionsClient({ conn, applied: (message) => changed(this.#sync, message) });
		this.groups = new Groups({ conn, threads: this.#threads, left: (threadId) => removed(this.#sync, threadId, 'left') });
		this.people = new Friends({ me, conn, presence: this.#presence, putThread: (thread) => this.#threads.put(thread) });
		this.#sync = {
			client: this,
			threads: this.#threads,
			messages: this.#messages,
			presence: this.#presence,
			sender: this.#sender,
			receipts: this.#receipts,
			messageListeners: this.#messageListeners
		};
	}

	// ---- state, as the components read it ---------------------------------------------------------

	/** The thread summaries by id. */
	get threads(): Record<string, Thread> {
		return this.#threads.byId;
	}
	get threadsCursor(): string | null {
		return this.#threads.cursor;
	}
	get threadsLoaded(): boolean {
		return this.#threads.loaded;
	}
	/** True while older threads exist beyond the loaded pages. */
	get moreThreads(): boolean {
		return this.#threads.more;
	}
	/** Newest activity first. */
	get sortedThreads(): Thread[] {
		return this.#threads.sorted;
	}
	get unreadTotal(): number {
		return this.#threads.unreadTotal;
	}
	/** Loaded messages per thread, ascending. */
	get messages(): Record<string, Message[]> {
		return this.#messages.byThread;
	}
	get olderAvailable(): Record<string, boolean> {
		return this.#messages.olderAvailable;
	}
	/** The outbox: messages written and not yet stored. */
	get pending(): readonly PendingMessage[] {
		return this.#sender.pending;
	}
	get online(): Record<string, boolean> {
		return this.#presence.online;
	}
	/** threadId to the ids of the members typing there now. */
	get typing(): Record<string, string[]> {
		return this.#presence.typing;
	}

	// ---- session -----------------------------------------------------------------------------------

	start(): void {
		this.#conn.start();
	}

	stop(): void {
		this.#conn.stop();
		this.#presence.stop();
		this.#receipts.stop();
		this.#sender.stop();
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

	/**
	 * `listener` gets each live message from someone else (`message:new`) with its thread, after the
	 * thread's counts took it in. Returns the unsubscribe.
	 */
	onMessage(listener: (message: Message, thread: Thread) => void): () => void {
		this.#messageListeners.add(listener);
		return () => this.#messageListeners.delete(listener);
	}

	/** A request on the chat socket: resolves to its ack data; rejects with RequestError or NotConnectedError. */
	request<E extends keyof ClientToServerEvents>(event: E, payload: Parameters<ClientToServerEvents[E]>[0], timeoutMs?: number) {
		return this.#conn.request(event, payload, timeoutMs);
	}

	// ---- threads and messages ------------------------------------------------------------------

	/** Loads the next page of the thread list (the first page on the first call); one page at a time. */
	loadMoreThreads(): Promise<void> {
		return this.#threads.loadMore();
	}

	/** Makes `threadId` the open thread: loads it and its newest page if needed (and marks it read if viewed). */
	async open(threadId: string | null): Promise<void> {
		this.activeThreadId = threadId;
		if (!threadId) return;
		if (!this.threads[threadId]) await this.#threads.fetch(threadId, { rethrow: true });
		if (!this.messages[threadId]) await this.#messages.loadNewest(threadId);
		if (this.viewing && this.activeThreadId === threadId) this.markRead(threadId);
	}

	/**
	 * Asks the server again for the summaries of the groups that have something unread: their `unread`
	 * and `mentions` leave out people the user blocked, so a block or unblock changes them.
	 */
	recountGroups(): void {
		for (const thread of this.sortedThreads) {
			if (thread.kind === 'group' && thread.lastSeq > thread.readSeq) this.#threads.fetch(thread.id).catch(() => undefined);
		}
	}

	/** Loads the page before the oldest loaded message; resolves to how many came. */
	loadOlder(threadId: string): Promise<number> {
		return this.#messages.loadOlder(threadId);
	}

	/**
	 * Fetches what `threadId` has beyond the messages held (a message whose live event was missed, such
	 * as a file's, posted by the server while the socket was down). Rejects when offline.
	 */
	refresh(threadId: string): Promise<void> {
		return this.messages[threadId] ? this.#messages.catchUp(threadId) : this.#messages.loadNewest(threadId);
	}

	timeline(threadId: string): TimelineItem[] {
		return this.#messages.timeline(threadId, this.pending);
	}

	/** Queues a message and sends it as soon as the connection allows. */
	send(threadId: string, text: string): void {
		this.#presence.sent(threadId);
		this.#sender.send(threadId, text, this.actions.takeReply(threadId)?.seq);
	}

	/**
	 * Sends a finished file of the user's to a thread as a file message (docs/PROTOCOL.md, "Sending a
	 * file you have"). Pass the same `clientId` when retrying after a lost answer: it is stored once.
	 * Rejects with the server's error (RequestError) or NotConnectedError.
	 */
	async sendFile(threadId: string, fileId: string, clientId: string): Promise<Message> {
		const { message } = await this.#conn.request('messages:send', { threadId, clientId, fileId });
		await arrived(this.#sync, message);
		return message;
	}

	retry(clientId: string): void {
		this.#sender.retry(clientId);
	}

	discard(clientId: string): void {
		this.#sender.discard(clientId);
	}

	/** Tells the server the user has read `threadId` up to its newest message, when the page is seen. */
	markRead(threadId: string): void {
		this.#receipts.markRead(threadId);
	}

	/** Lets the other members know the user is typing (at most every 2 s). */
	typingIn(threadId: string): void {
		this.#presence.typingIn(threadId);
	}

	/** The private thread with a friend (made on first use). */
	threadWith(userId: string): Promise<Thread> {
		return this.#threads.with(userId);
	}

	/** The other member of a private thread, with what this client knows of them now. */
	peerOf(thread: Thread): UserCard | undefined {
		return this.#threads.peerOf(thread);
	}

	isOnline(userId: string): boolean {
		return this.#presence.isOnline(userId);
	}

	// ---- connection ------------------------------------------------------------------------------

	#onConnected(socket: ChatSocket): void {
		listen(socket, this.#sync);
		for (const listener of this.#socketListeners) listener(socket);
		void resync(this.#sync);
	}
}
