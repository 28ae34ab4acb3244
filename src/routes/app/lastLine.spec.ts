import { describe, expect, it } from 'vitest';
import type { Message, Thread } from '$lib/protocol';
import { lastLineOf, typingNameOf } from './lastLine';

const card = (id: string, displayName: string) => ({ id, username: id, displayName, bio: '', avatarUrl: null, relationship: 'friend' as const });
const message = (senderId: string, kind: Message['kind'], text: string): Message => ({ id: 'm', threadId: 'g', seq: 3, senderId, clientId: 'c', kind, text, createdAt: '2026-01-01T10:00:00.000Z' });
function group(last: Message | null): Thread {
	return {
		id: 'g',
		kind: 'group',
		title: 'Hikers',
		members: [card('me', 'Me Myself'), card('bob', 'Bob Builder')],
		lastSeq: 3,
		lastMessage: last,
		unread: 0,
		readSeq: 3,
		deliveredSeq: 3,
		peerReadSeq: 0,
		peerDeliveredSeq: 0,
		updatedAt: '2026-01-01T10:00:00.000Z'
	};
}

describe('the thread list line of a group', () => {
	it('hides the text of a message from someone the user blocked', () => {
		const blocked = (id: string) => id === 'bob';
		expect(lastLineOf(group(message('bob', 'text', 'see you')), [], 'me', blocked)).toMatchObject({ text: 'Message from someone you blocked', mine: false });
		expect(lastLineOf(group(message('bob', 'system', 'Bob Builder renamed the group')), [], 'me', blocked)).toMatchObject({ text: 'Bob Builder renamed the group' });
	});
	it("names the sender of others' messages, not of one's own or of system lines", () => {
		expect(lastLineOf(group(message('bob', 'text', 'see you')), [], 'me')).toMatchObject({ text: 'Bob: see you', mine: false });
		expect(lastLineOf(group(message('me', 'text', 'ok')), [], 'me')).toMatchObject({ text: 'ok', mine: true });
		expect(lastLineOf(group(message('me', 'system', 'Me Myself added Bob Builder')), [], 'me')).toMatchObject({ text: 'Me Myself added Bob Builder', mine: false });
	});

	it('says who is typing', () => {
		expect(typingNameOf(group(null), ['bob'])).toBe('Bob is');
		expect(typingNameOf(group(null), ['bob', 'x'])).toBe('2 people are');
	});
});

describe('the thread list line of a call', () => {
	const declined = (senderId: string): Message => ({ ...message(senderId, 'call', 'Declined call'), call: { callKind: 'audio', durationSec: 0, outcome: 'declined' } });
	const pair = (last: Message): Thread => ({ ...group(last), kind: 'private', title: undefined });

	it('says what the thread says, for the side reading it, and never as the caller\'s own message', () => {
		expect(lastLineOf(pair(declined('bob')), [], 'me')).toMatchObject({ text: 'You declined a call from Bob Builder', mine: false });
		expect(lastLineOf(pair(declined('me')), [], 'me')).toMatchObject({ text: 'Bob Builder declined your call', mine: false });
		const video: Message = { ...message('bob', 'call', 'Video call, 3:05'), call: { callKind: 'video', durationSec: 185, outcome: 'completed' } };
		expect(lastLineOf(group(video), [], 'me')).toMatchObject({ text: 'Video call · 3 min', mine: false });
	});
});

describe('the thread list line of a live stream', () => {
	it("says the server's line, not as anyone's own message nor prefixed with the streamer's name", () => {
		const live: Message = { ...message('bob', 'live', 'Live, 42:10, 17 viewers at most'), live: { durationSec: 2530, peakViewers: 17 } };
		expect(lastLineOf(group(live), [], 'me')).toMatchObject({ text: 'Live, 42:10, 17 viewers at most', mine: false });
		expect(lastLineOf(group({ ...live, senderId: 'me' }), [], 'me')).toMatchObject({ text: 'Live, 42:10, 17 viewers at most', mine: false });
	});
});
