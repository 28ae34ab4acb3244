import type { Message, Thread, ThreadRemovedReason, User, UserCard } from '$lib/protocol';
import { NotConnectedError, RequestError, type ChatSocket } from './connection';
import type { Friends } from './friends.svelte';
import type { Messages } from './messages.svelte';
import type { Presence } from './presence.svelte';
import type { Receipts } from './receipts';
import type { Sender } from './sender.svelte';
import type { Threads } from './threads.svelte';

// How `ChatClient` keeps in step with the server: the live events on each socket, the resync after
// every (re)connection, and what a stored message, a change or a lost thread does to its stores.

/** The part of `ChatClient` the news changes (its session state, as the page reads it). */
export interface SyncClient {
	readonly me: User;
	readonly people: Friends;
	readonly activeThreadId: string | null;
	readonly viewing: boolean;
	notice: { threadId: string; text: string } | null;
	selfCard: UserCard | null;
	readonly pending: readonly { threadId: string; clientId: string }[];
	markRead(threadId: string): void;
}

/** One `ChatClient` and its stores. */
export interface SyncParts {
	client: SyncClient;
	threads: Threads;
	messages: Messages;
	presence: Presence;
	sender: Sender;
	receipts: Receipts;
	/** Told of each live message from someone else, once its thread is current (notifications). */
	messageListeners: ReadonlySet<(message: Message, thread: Thread) => void>;
}

/** Applies the server's live events on `socket`. */
export function listen(socket: ChatSocket, parts: SyncParts): void {
	const { client, threads, messages, presence } = parts;
	socket.on('message:new', ({ message }) => {
		arrived(parts, message).catch((error) => {
			// A late message of a group the user was just removed from: its thread answers not_found now.
			if (error instanceof RequestError && error.code === 'not_found') removed(parts, message.threadId, 'removed');
			else if (!(error instanceof NotConnectedError)) throw error;
		});
	});
	socket.on('message:status', (e) => threads.applyStatus(e));
	socket.on('message:changed', ({ message }) => changed(parts, message));
	socket.on('friends:requested', ({ request }) => client.people.putRequest(request));
	socket.on('friends:added', ({ friend, thread }) => client.people.add(friend, thread));
	socket.on('friends:closed', ({ requestId }) => client.people.closed(requestId));
	socket.on('presence', ({ userId, online }) => (presence.online[userId] = online));
	socket.on('typing', ({ threadId, userId }) => presence.onTyping(threadId, userId));
	socket.on('user:updated', ({ user }) => {
		if (user.id === client.me.id) client.selfCard = user;
		client.people.updateUser(user);
		threads.updateUser(user);
	});
	socket.on('thread:updated', ({ thread }) => threads.put(thread));
	socket.on('thread:removed', ({ threadId, reason }) => removed(parts, threadId, reason));
	// The owner deleted a file: its messages stay, showing the file as gone (as `messages:list` will).
	socket.on('file:deleted', ({ fileId, threadId }) => {
		messages.fileDeleted(fileId, threadId);
		threads.fileDeleted(fileId, threadId);
	});
}

/**
 * After a (re)connection: resends the outbox, reloads the thread list and the friends, and fills every
 * hole the disconnection left in the threads held, so nothing acknowledged is lost or shown twice.
 */
export async function resync(parts: SyncParts): Promise<void> {
	const { client, threads, messages } = parts;
	// The outbox first: what was written offline should not wait behind the history fetches.
	void parts.sender.flush();
	try {
		// A fresh first page; pages loaded earlier stay (their threads are still known).
		const [fresh] = await Promise.all([threads.loadPage(null), client.people.load()]);
		parts.receipts.resendUnsent();
		// Fill every hole the disconnection left in the threads this client holds; a group lost
		// meanwhile answers not_found (loaded ones here, the others through recheckGroups).
		const gone = (threadId: string) => removed(parts, threadId, 'removed');
		void threads.recheckGroups(fresh, (id) => id in messages.byThread, gone);
		await messages.catchUpAll(gone);
		const active = client.activeThreadId;
		if (active && !messages.byThread[active] && client.notice?.threadId !== active) {
			// The thread was opened while offline: load it now.
			if (!threads.byId[active]) await threads.fetch(active);
			if (threads.byId[active]) await messages.loadNewest(active);
		}
		if (active && client.viewing && threads.byId[active]) client.markRead(active);
	} catch (error) {
		// A group lost while offline that the page still has open: it goes (the page follows the notice).
		if (error instanceof RequestError && error.code === 'not_found' && client.activeThreadId) removed(parts, client.activeThreadId, 'removed');
		else if (!(error instanceof NotConnectedError)) console.error('chat resync failed', error);
	}
}

/** The user lost access to a thread (left, removed, closed): it and its messages go at once. */
export function removed(parts: SyncParts, threadId: string, reason: ThreadRemovedReason): void {
	const { client } = parts;
	const thread = parts.threads.remove(threadId);
	parts.messages.drop(threadId);
	for (const p of client.pending) if (p.threadId === threadId) parts.sender.discard(p.clientId);
	if (!thread || client.activeThreadId !== threadId) return;
	const title = thread.title || 'the group';
	const text = reason === 'left' ? `You left ${title}` : reason === 'removed' ? `You were removed from ${title}` : `${title} was closed`;
	client.notice = { threadId, text };
}

/** An edit, delete or reaction (live, or the ack of one made here): the timeline and the list's preview. */
export function changed(parts: SyncParts, message: Message): void {
	parts.messages.changed(message);
	parts.threads.applyChange(message);
	const thread = parts.threads.byId[message.threadId];
	if (thread?.lastMessage?.seq === message.seq && (thread.lastMessage.changeSeq ?? 0) < (message.changeSeq ?? 0)) thread.lastMessage = message;
}

/** A stored message: live (`message:new`, also one's own from other devices) or the ack of one sent here. */
export async function arrived(parts: SyncParts, message: Message): Promise<void> {
	const { client, threads } = parts;
	const mine = message.senderId === client.me.id;
	// The ack may have been lost while the message was stored: its echo settles the outbox.
	if (mine) parts.sender.settled(message.clientId);
	if (!threads.byId[message.threadId]) {
		await threads.fetch(message.threadId);
		if (!threads.byId[message.threadId]) return;
	}
	threads.applyMessage(message);
	parts.presence.clearTyping(message.threadId, message.senderId);
	if (parts.messages.addLive(message) === 'gap') await parts.messages.catchUp(message.threadId);
	if (!mine) {
		parts.receipts.reportDelivered(message.threadId, message.seq);
		if (client.activeThreadId === message.threadId && client.viewing) client.markRead(message.threadId);
		const thread = threads.byId[message.threadId];
		if (thread) for (const listener of parts.messageListeners) listener(message, thread);
	}
}
