import { describe, expect, it } from 'vitest';
import type { Message, Thread } from '$lib/protocol';
import type { ChatConnection } from './connection';
import { Presence } from './presence.svelte';
import { Threads } from './threads.svelte';
import { countsAsUnread, deletionMovesUnread, mergedUnread } from './unread';

const thread = (over: Partial<Thread> = {}): Thread => ({
	id: 't',
	kind: 'private',
	members: [],
	lastSeq: 2,
	lastMessage: null,
	unread: 1,
	readSeq: 1,
	deliveredSeq: 2,
	peerReadSeq: 2,
	peerDeliveredSeq: 2,
	updatedAt: '2026-12-07T00:00:00.000Z',
	...over
});
const msg = (seq: number, senderId: string, over: Partial<Message> = {}): Message => ({ id: `m${seq}`, threadId: 't', seq, senderId, clientId: `c${seq}`, kind: 'text', text: `m${seq}`, createdAt: '2026-12-07T00:00:01.000Z', ...over });
const callLine = (seq: number, senderId: string) => msg(seq, senderId, { kind: 'call', text: 'Missed call', call: { callKind: 'audio', durationSec: 0, outcome: 'missed' } });
const liveLine = (seq: number, senderId: string) => msg(seq, senderId, { kind: 'live', text: 'Live, 42:10, 17 viewers at most', live: { durationSec: 2530, peakViewers: 17 } });

/** A Threads store whose `threads:get` answers `server` (the server's count) and records each ask. */
function store(server: () => Thread = () => thread()) {
	const asked: string[] = [];
	const conn = {
		socket: null,
		request: async (event: string) => {
			asked.push(event);
			return event === 'threads:get' ? { thread: server() } : {};
		}
	} as unknown as ChatConnection;
	const presence = new Presence({ me: 'me', conn });
	return { asked, threads: new Threads({ me: 'me', conn, presence, undelivered: () => {} }) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('countsAsUnread', () => {
	it("counts the others' texts, files and system lines; not one's own, call lines or tombstones", () => {
		expect(countsAsUnread(msg(1, 'bob'), 'me')).toBe(true);
		expect(countsAsUnread(msg(1, 'bob', { kind: 'file' }), 'me')).toBe(true);
		expect(countsAsUnread(msg(1, 'bob', { kind: 'system' }), 'me')).toBe(true);
		expect(countsAsUnread(msg(1, 'me'), 'me')).toBe(false);
		expect(countsAsUnread(callLine(1, 'bob'), 'me')).toBe(false);
		expect(countsAsUnread(liveLine(1, 'bob'), 'me')).toBe(false);
		expect(countsAsUnread(msg(1, 'bob', { deleted: true }), 'me')).toBe(false);
	});
});

describe('mergedUnread', () => {
	it("takes the server's count when its summary has seen all the client has, else keeps the client's", () => {
		const known = { lastSeq: 5, readSeq: 2, unread: 3 };
		expect(mergedUnread(known, { lastSeq: 5, readSeq: 2, unread: 1 }, { lastSeq: 5, readSeq: 2 })).toBe(1);
		expect(mergedUnread(known, { lastSeq: 4, readSeq: 2, unread: 1 }, { lastSeq: 5, readSeq: 2 })).toBe(3);
		expect(mergedUnread(known, { lastSeq: 4, readSeq: 2, unread: 1 }, { lastSeq: 5, readSeq: 5 })).toBe(0);
		expect(mergedUnread(undefined, { lastSeq: 4, readSeq: 2, unread: 1 }, { lastSeq: 4, readSeq: 2 })).toBe(1);
	});
});

describe('deletionMovesUnread', () => {
	it("is true only for someone else's unread message deleted", () => {
		const t = thread({ lastSeq: 5, readSeq: 2, unread: 2 });
		expect(deletionMovesUnread(msg(4, 'bob', { deleted: true }), t, 'me')).toBe(true);
		expect(deletionMovesUnread(msg(2, 'bob', { deleted: true }), t, 'me')).toBe(false);
		expect(deletionMovesUnread(msg(4, 'me', { deleted: true }), t, 'me')).toBe(false);
		expect(deletionMovesUnread(msg(4, 'bob', { text: 'edited' }), t, 'me')).toBe(false);
		expect(deletionMovesUnread(msg(4, 'bob', { deleted: true }), { ...t, unread: 0 }, 'me')).toBe(false);
	});
});

describe('Threads: the unread count live', () => {
	it('a live call line moves lastSeq and the last message but not the count; a text after it does', () => {
		const { threads, asked } = store();
		threads.put(thread({ lastSeq: 2, readSeq: 2, unread: 0 }));
		threads.applyMessage(callLine(3, 'bob'));
		expect(threads.byId.t).toMatchObject({ lastSeq: 3, readSeq: 2, unread: 0 });
		expect(threads.byId.t.lastMessage?.kind).toBe('call');
		expect(threads.unreadTotal).toBe(0);
		threads.applyMessage(msg(4, 'bob'));
		threads.applyMessage(msg(4, 'bob'));
		expect(threads.byId.t.unread).toBe(1);
		expect(threads.unreadTotal).toBe(1);
		expect(asked).toEqual([]);
	});

	it("a live stream's line, someone else's or one's own, neither counts nor reads what came before", () => {
		const { threads, asked } = store();
		threads.put(thread({ lastSeq: 2, readSeq: 1, unread: 1 }));
		threads.applyMessage(liveLine(3, 'bob'));
		expect(threads.byId.t).toMatchObject({ lastSeq: 3, readSeq: 1, unread: 1 });
		expect(threads.byId.t.lastMessage?.kind).toBe('live');
		threads.applyMessage(liveLine(4, 'me'));
		expect(threads.byId.t).toMatchObject({ lastSeq: 4, readSeq: 1, unread: 1 });
		expect(threads.unreadTotal).toBe(1);
		expect(asked).toEqual([]);
	});

	it("one's own message reads everything before it; one's own call line (written when the call ended) does not", () => {
		const { threads } = store();
		threads.put(thread({ lastSeq: 3, readSeq: 1, unread: 2 }));
		threads.applyMessage(callLine(4, 'me'));
		expect(threads.byId.t).toMatchObject({ lastSeq: 4, readSeq: 1, unread: 2 });
		threads.applyMessage(msg(5, 'me'));
		expect(threads.byId.t).toMatchObject({ readSeq: 5, unread: 0 });
	});

	it('a message past a gap, a read mark moved part of the way, or an unread message deleted: asks the server', async () => {
		let answer = thread({ lastSeq: 6, readSeq: 2, unread: 1 });
		const { threads, asked } = store(() => answer);
		threads.put(thread({ lastSeq: 2, readSeq: 2, unread: 0 }));
		// 3 to 5 were missed (a call line and others): the count the server gives replaces the guess.
		threads.applyMessage(msg(6, 'bob'));
		expect(asked).toEqual(['threads:get']);
		await settle();
		expect(threads.byId.t).toMatchObject({ lastSeq: 6, unread: 1 });
		// Another device read up to 4 (of 6).
		answer = thread({ lastSeq: 7, readSeq: 4, unread: 2 });
		threads.applyMessage(msg(7, 'bob'));
		threads.applyStatus({ threadId: 't', userId: 'me', readSeq: 4, deliveredSeq: 7 });
		await settle();
		expect(threads.byId.t).toMatchObject({ readSeq: 4, unread: 2 });
		// Bob deleted his message 7.
		answer = thread({ lastSeq: 7, readSeq: 4, unread: 1 });
		threads.applyChange(msg(7, 'bob', { text: undefined, deleted: true }));
		await settle();
		expect(threads.byId.t.unread).toBe(1);
		expect(asked).toEqual(['threads:get', 'threads:get', 'threads:get']);
		// Read to the end: nothing to ask.
		threads.applyStatus({ threadId: 't', userId: 'me', readSeq: 7, deliveredSeq: 7 });
		expect(threads.byId.t.unread).toBe(0);
		expect(asked.length).toBe(3);
	});

	it('an older summary (thread:updated from before live messages) keeps the live count', () => {
		const { threads } = store();
		threads.put(thread({ lastSeq: 2, readSeq: 1, unread: 1 }));
		threads.applyMessage(msg(3, 'bob'));
		threads.put(thread({ lastSeq: 2, readSeq: 1, unread: 1, title: 'x' }));
		expect(threads.byId.t).toMatchObject({ lastSeq: 3, unread: 2 });
	});
});
