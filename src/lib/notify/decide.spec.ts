import { describe, expect, it } from 'vitest';
import type { Message, Thread } from '$lib/protocol';
import { decideAlert, isMuted } from './decide';
import { badgedIcon } from './favicon';
import { notificationText, previewOf } from './preview';

const thread = (over: Partial<Thread> = {}): Thread => ({
	id: 't1',
	kind: 'private',
	members: [
		{ id: 'me', username: 'me', displayName: 'Me', avatarUrl: null },
		{ id: 'bob', username: 'bob', displayName: 'Bob', avatarUrl: null }
	] as Thread['members'],
	lastSeq: 5,
	lastMessage: null,
	unread: 1,
	readSeq: 4,
	deliveredSeq: 5,
	peerReadSeq: 5,
	peerDeliveredSeq: 5,
	updatedAt: '2026-12-07T00:00:00.000Z',
	...over
});
const message = (over: Partial<Message> = {}): Message => ({ id: 'm', threadId: 't1', seq: 5, senderId: 'bob', clientId: 'c', kind: 'text', text: 'hello there', createdAt: '2026-12-07T00:00:00.000Z', ...over });
const context = { me: 'me', activeThreadId: null, viewing: false, hidden: false, now: '2026-12-07T01:00:00.000Z', prefs: { sound: true, desktop: true }, permitted: true };

describe('decideAlert', () => {
	it('sounds for a message in another thread, and notifies only when the page is hidden', () => {
		expect(decideAlert(message(), thread(), context)).toEqual({ sound: true, desktop: false });
		expect(decideAlert(message(), thread(), { ...context, hidden: true })).toEqual({ sound: true, desktop: true });
	});
	it('stays quiet for the thread in view, one\u2019s own message, a system line, a call line, or a read one', () => {
		expect(decideAlert(message(), thread(), { ...context, activeThreadId: 't1', viewing: true })).toEqual({ sound: false, desktop: false });
		expect(decideAlert(message({ senderId: 'me' }), thread(), { ...context, hidden: true })).toEqual({ sound: false, desktop: false });
		expect(decideAlert(message({ kind: 'system' }), thread(), { ...context, hidden: true })).toEqual({ sound: false, desktop: false });
		expect(decideAlert(message({ kind: 'call', text: 'Missed call', call: { callKind: 'audio', durationSec: 0, outcome: 'missed' } }), thread(), { ...context, hidden: true })).toEqual({ sound: false, desktop: false });
		expect(decideAlert(message({ kind: 'live', text: 'Live, 42:10, 17 viewers at most', live: { durationSec: 2530, peakViewers: 17 } }), thread(), { ...context, hidden: true })).toEqual({ sound: false, desktop: false });
		expect(decideAlert(message({ seq: 4 }), thread(), { ...context, hidden: true })).toEqual({ sound: false, desktop: false });
	});
	it('stays quiet for a group message from someone the user blocked; another member still alerts', () => {
		const blocked = (id: string) => id === 'bob';
		const group = thread({ kind: 'group' });
		expect(decideAlert(message(), group, { ...context, hidden: true, blocked })).toEqual({ sound: false, desktop: false });
		expect(decideAlert(message({ senderId: 'carol' }), group, { ...context, hidden: true, blocked })).toEqual({ sound: true, desktop: true });
	});
	it('the open thread of a hidden page still alerts', () => {
		expect(decideAlert(message(), thread(), { ...context, activeThreadId: 't1', viewing: true, hidden: true })).toEqual({ sound: true, desktop: true });
	});
	it('follows the settings and the permission', () => {
		expect(decideAlert(message(), thread(), { ...context, hidden: true, prefs: { sound: false, desktop: true } })).toEqual({ sound: false, desktop: true });
		expect(decideAlert(message(), thread(), { ...context, hidden: true, prefs: { sound: true, desktop: false } })).toEqual({ sound: true, desktop: false });
		expect(decideAlert(message(), thread(), { ...context, hidden: true, permitted: false })).toEqual({ sound: true, desktop: false });
	});
	it('a muted thread alerts in no way until the mute ends', () => {
		const muted = thread({ mutedUntil: '2026-12-07T02:00:00.000Z' });
		expect(decideAlert(message(), muted, { ...context, hidden: true })).toEqual({ sound: false, desktop: false });
		expect(decideAlert(message(), muted, { ...context, hidden: true, now: '2026-12-07T02:00:00.001Z' })).toEqual({ sound: true, desktop: true });
		expect(isMuted(thread({ mutedUntil: null }), context.now)).toBe(false);
	});
});

describe('notification text', () => {
	it('names the sender, and the group', () => {
		expect(notificationText(message(), thread(), { hidePreviews: false })).toEqual({ title: 'Bob', body: 'hello there' });
		expect(notificationText(message(), thread({ kind: 'group', title: 'Hikers' }), { hidePreviews: false }).title).toBe('Bob in Hikers');
	});
	it('hides the preview when asked', () => {
		expect(notificationText(message(), thread(), { hidePreviews: true })).toEqual({ title: 'Bob', body: 'New message' });
	});
	it('cuts long text and folds whitespace', () => {
		expect(previewOf(message({ text: 'a\n\n b' }))).toBe('a b');
		const long = previewOf(message({ text: '😀'.repeat(300) }));
		expect([...long]).toHaveLength(120);
		expect(long.endsWith('…')).toBe(true);
	});
});

describe('badgedIcon', () => {
	const base = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64"/></svg>';
	it('adds a badge with the count, 99+ above 99, none at 0', () => {
		expect(badgedIcon(base, 0)).toBe(base);
		expect(badgedIcon(base, 3)).toContain('>3</text></svg>');
		expect(badgedIcon(base, 250)).toContain('>99+</text>');
	});
});

describe('deviceLabel', () => {
	it('names the browser and the system from the user agent', async () => {
		const { deviceLabel } = await import('./push');
		expect(deviceLabel('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36')).toBe('Chrome on Linux');
		expect(deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0')).toBe('Firefox on Windows');
		expect(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
		expect(deviceLabel('curl/8')).toBe('A browser');
	});
});
