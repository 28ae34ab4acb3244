import { describe, expect, it } from 'vitest';
import type { MemberCard, Thread } from '$lib/protocol';
import type { ChatConnection } from './connection';
import { Presence } from './presence.svelte';
import { Threads } from './threads.svelte';

const conn = { socket: null, request: async () => ({}) } as unknown as ChatConnection;
const member = (id: string, role: MemberCard['role'], readSeq: number): MemberCard => ({ id, username: id, displayName: id, bio: '', avatarUrl: null, relationship: 'friend', role, readSeq, deliveredSeq: readSeq, online: id === 'bob' });

function group(over: Partial<Thread> = {}): Thread {
	return {
		id: 'g',
		kind: 'group',
		title: 'Hikers',
		topic: '',
		memberCount: 3,
		myRole: 'owner',
		members: [member('me', 'owner', 5), member('bob', 'member', 2), member('cat', 'member', 4)],
		lastSeq: 5,
		lastMessage: null,
		unread: 0,
		readSeq: 5,
		deliveredSeq: 5,
		peerReadSeq: 2,
		peerDeliveredSeq: 2,
		updatedAt: '2026-01-01T00:00:00.000Z',
		...over
	};
}

function store() {
	const presence = new Presence({ me: 'me', conn });
	return { presence, threads: new Threads({ me: 'me', conn, presence, undelivered: () => {} }) };
}

describe('Threads with groups', () => {
	it('takes a group, its members online state, and no peer', () => {
		const { threads, presence } = store();
		threads.put(group());
		expect(threads.peerOf(threads.byId.g)).toBeUndefined();
		expect(presence.isOnline('bob')).toBe(true);
	});

	it('moves receipts live, and a later summary (thread:updated) does not take them back', () => {
		const { threads } = store();
		threads.put(group());
		threads.applyStatus({ threadId: 'g', userId: 'bob', readSeq: 5, deliveredSeq: 5 });
		expect(threads.byId.g.members.find((m) => m.id === 'bob')?.readSeq).toBe(5);
		expect(threads.byId.g.peerReadSeq).toBe(4);
		// An older summary: a new title, Bob still at 2.
		threads.put(group({ title: 'Walkers' }));
		expect(threads.byId.g.title).toBe('Walkers');
		expect(threads.byId.g.members.find((m) => m.id === 'bob')?.readSeq).toBe(5);
		expect(threads.byId.g.peerReadSeq).toBe(4);
	});

	it('counts live messages that mention the user, as the server does, and clears them when read', () => {
		const presence = new Presence({ me: 'me', conn });
		const threads = new Threads({ me: 'me', username: 'Me', conn, presence, undelivered: () => {} });
		threads.put(group({ mentions: 1, lastSeq: 5, readSeq: 4, unread: 1 }));
		const msg = (seq: number, senderId: string, text: string) => ({ id: `m${seq}`, threadId: 'g', seq, senderId, clientId: `c${seq}`, kind: 'text' as const, text, createdAt: '2026-01-01T00:00:01.000Z' });
		threads.applyMessage(msg(6, 'bob', 'hi @me'));
		threads.applyMessage(msg(6, 'bob', 'hi @me'));
		threads.applyMessage(msg(7, 'bob', '@everyone from a member'));
		threads.applyMessage(msg(8, 'cat', 'mail me@example.org'));
		expect(threads.byId.g.mentions).toBe(2);
		// An older summary does not take the live count back.
		threads.put(group({ mentions: 1, lastSeq: 5, readSeq: 4 }));
		expect(threads.byId.g.mentions).toBe(2);
		threads.applyStatus({ threadId: 'g', userId: 'me', readSeq: 8, deliveredSeq: 8 });
		expect(threads.byId.g.mentions).toBe(0);
	});

	it('leaves group messages from someone the user blocked out of unread and mentions, live and from a summary', () => {
		const presence = new Presence({ me: 'me', conn });
		const threads = new Threads({ me: 'me', username: 'Me', conn, presence, undelivered: () => {}, blocked: (id) => id === 'bob' });
		const msg = (seq: number, senderId: string, text: string) => ({ id: `m${seq}`, threadId: 'g', seq, senderId, clientId: `c${seq}`, kind: 'text' as const, text, createdAt: '2026-01-01T00:00:01.000Z' });
		threads.put(group({ lastSeq: 5, readSeq: 5, unread: 0 }));
		threads.applyMessage(msg(6, 'bob', 'hi @me'));
		expect(threads.byId.g.unread).toBe(0);
		expect(threads.byId.g.mentions ?? 0).toBe(0);
		threads.applyMessage(msg(7, 'cat', 'hi @me'));
		expect(threads.byId.g.unread).toBe(1);
		expect(threads.byId.g.mentions).toBe(1);
		expect(threads.unreadTotal).toBe(1);
		// The server's summary (seq 8 from Bob too): 3 above readSeq, 1 unread; the next live one adds to that.
		threads.put(group({ lastSeq: 8, readSeq: 5, unread: 1, mentions: 1 }));
		expect(threads.byId.g.unread).toBe(1);
		threads.applyMessage(msg(9, 'cat', 'more'));
		expect(threads.byId.g.unread).toBe(2);
		threads.applyStatus({ threadId: 'g', userId: 'me', readSeq: 9, deliveredSeq: 9 });
		expect(threads.byId.g.unread).toBe(0);
		// Read to the end, a new one from someone not blocked counts once.
		threads.applyMessage(msg(10, 'cat', 'new'));
		expect(threads.byId.g.unread).toBe(1);
	});

	it('replaces the member list (someone removed) and drops a thread on thread:removed', () => {
		const { threads } = store();
		threads.put(group());
		threads.put(group({ members: group().members.filter((m) => m.id !== 'cat'), memberCount: 2 }));
		expect(threads.byId.g.members.map((m) => m.id)).toEqual(['me', 'bob']);
		expect(threads.remove('g')?.title).toBe('Hikers');
		expect(threads.byId.g).toBeUndefined();
		expect(threads.remove('g')).toBeUndefined();
	});
});
