import { describe, expect, it } from 'vitest';
import type { Message } from '$lib/protocol';
import { announce, type AnnounceContext } from './announce';

const msg = (seq: number, senderId: string, extra: Partial<Message> = {}): Message => ({
	id: `id${seq}`,
	threadId: 't',
	seq,
	senderId,
	clientId: `c${seq}`,
	kind: 'text',
	text: `m${seq}`,
	createdAt: new Date(2024, 2, 9).toISOString(),
	...extra
});

const direct: AnnounceContext = { me: 'me', nameOf: () => 'Bob', group: false, peerName: 'Bob' };
const group: AnnounceContext = { me: 'me', nameOf: (id) => (id === 'bob' ? 'Bob' : 'Carol'), group: true, peerName: 'Team' };

describe('announce', () => {
	it('reads out nothing of the history there on the first look', () => {
		expect(announce([msg(1, 'bob'), msg(2, 'bob')], null, direct)).toEqual({ seq: 2, text: null });
		expect(announce([], null, direct)).toEqual({ seq: 0, text: null });
	});

	it('reads out one new message with its sender', () => {
		expect(announce([msg(1, 'bob'), msg(2, 'bob', { text: 'hello  there' })], 1, direct)).toEqual({ seq: 2, text: 'Bob: hello there' });
	});

	it('says a file by its name and a system line as it is', () => {
		expect(announce([msg(2, 'bob', { kind: 'file', text: undefined, file: { id: 'f', name: 'a.pdf', size: 1, type: 'application/pdf' } as Message['file'] })], 1, direct).text).toBe('Bob: 📎 a.pdf');
		expect(announce([msg(2, 'carol', { kind: 'system', text: 'Carol added Bob' })], 1, group).text).toBe('Carol added Bob');
	});

	it('counts several new messages, in a group or from the peer', () => {
		expect(announce([msg(2, 'bob'), msg(3, 'carol')], 1, group)).toEqual({ seq: 3, text: '2 new messages in Team' });
		expect(announce([msg(2, 'bob'), msg(3, 'bob')], 1, direct)).toEqual({ seq: 3, text: '2 new messages from Bob' });
	});

	it('leaves out the user’s own messages', () => {
		expect(announce([msg(2, 'me'), msg(3, 'bob')], 1, direct)).toEqual({ seq: 3, text: 'Bob: m3' });
		expect(announce([msg(2, 'me')], 1, direct)).toEqual({ seq: 2, text: null });
	});

	it('starts over when the thread went back (reloaded)', () => {
		expect(announce([msg(1, 'bob')], 5, direct)).toEqual({ seq: 1, text: null });
	});

	it('shortens a long message', () => {
		const text = announce([msg(2, 'bob', { text: 'x'.repeat(400) })], 1, direct).text ?? '';
		expect([...text].length).toBe('Bob: '.length + 300);
		expect(text.endsWith('…')).toBe(true);
	});
});
