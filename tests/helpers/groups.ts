import type { Message, MessagesListResponse, Thread } from '../../src/lib/protocol/index.js';
import { befriend, Events, ok, type Person } from './chat.js';
import type { ClientSocket } from './parley.js';

/** The events a group member's socket may get. */
export const GROUP_EVENTS = ['message:new', 'message:status', 'typing', 'thread:updated', 'thread:removed', 'presence'] as const;

export function groupEvents(socket: ClientSocket): Events {
	return new Events(socket, [...GROUP_EVENTS]);
}

/** Makes `owner` friends with each of `others` (in parallel). */
export async function befriendAll(owner: Person, others: Person[]): Promise<void> {
	await Promise.all(others.map((o) => befriend(owner, o)));
}

/** `owner` creates a group with `members` (who must be their friends already). */
export async function createGroup(owner: Person, members: Person[], title = 'Group', topic?: string): Promise<Thread> {
	const payload: Record<string, unknown> = { title, memberIds: members.map((m) => m.user.id) };
	if (topic !== undefined) payload.topic = topic;
	return (await ok<{ thread: Thread }>(owner.socket, 'groups:create', payload)).thread;
}

/** Every message of a thread, by paging forward with afterSeq. */
export async function history(socket: ClientSocket, threadId: string): Promise<Message[]> {
	const out: Message[] = [];
	for (;;) {
		const page = await ok<MessagesListResponse>(socket, 'messages:list', { threadId, afterSeq: out.at(-1)?.seq ?? 0, limit: 100 });
		out.push(...page.messages);
		if (!page.hasMore) return out;
	}
}

export async function getThread(socket: ClientSocket, threadId: string): Promise<Thread> {
	return (await ok<{ thread: Thread }>(socket, 'threads:get', { threadId })).thread;
}

/** The roles of a group's members by user id. */
export function roles(thread: Thread): Record<string, string | undefined> {
	return Object.fromEntries(thread.members.map((m) => [m.id, m.role]));
}
