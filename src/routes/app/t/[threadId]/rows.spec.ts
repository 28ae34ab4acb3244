import { describe, expect, it } from 'vitest';
import type { TimelineItem } from '$lib/chat/messages.svelte';
import type { Message } from '$lib/protocol';
import { buildRows, countFromOthers, estimateRow, type MessageRow } from './rows';

const now = new Date(2024, 2, 9, 15, 0);

function stored(seq: number, senderId: string, at: Date, text = `m${seq}`): TimelineItem {
	const message: Message = { id: `id${seq}`, threadId: 't', seq, senderId, clientId: `c${seq}`, kind: 'text', text, createdAt: at.toISOString() };
	return { kind: 'stored', message, mine: senderId === 'me', status: senderId === 'me' ? 'sent' : null };
}

const at = (h: number, m = 0, day = 9) => new Date(2024, 2, day, h, m);

describe('buildRows', () => {
	it('separates days and groups runs of one sender within five minutes', () => {
		const rows = buildRows(
			[stored(1, 'bob', at(9, 0, 8)), stored(2, 'bob', at(9, 0)), stored(3, 'bob', at(9, 2)), stored(4, 'me', at(9, 3)), stored(5, 'me', at(9, 20))],
			{ me: 'me', now, atStart: false }
		);
		expect(rows.map((r) => (r.kind === 'message' ? `${r.text}${r.first ? '<' : ''}${r.last ? '>' : ''}` : r.kind === 'day' ? r.label : r.kind))).toEqual([
			'Yesterday',
			'm1<>',
			'Today',
			'm2<',
			'm3>',
			'm4<>',
			'm5<>'
		]);
	});

	it('keys a message by sender and clientId, the same while pending and once stored', () => {
		const pending: TimelineItem = { kind: 'pending', pending: { clientId: 'c9', threadId: 't', text: 'hi', createdAt: at(10).toISOString(), state: 'sending' } };
		const [, row] = buildRows([pending], { me: 'me', now, atStart: false }) as [unknown, MessageRow];
		expect(row.key).toBe('m:me:c9');
		expect(row.status).toBe('sending');
		const storedItem = stored(9, 'me', at(10));
		if (storedItem.kind === 'stored') storedItem.message.clientId = 'c9';
		const [, again] = buildRows([storedItem], { me: 'me', now, atStart: false }) as [unknown, MessageRow];
		expect(again.key).toBe(row.key);
	});

	it('adds the start row, and an unread line before the first unread message of the others', () => {
		const rows = buildRows([stored(1, 'bob', at(9)), stored(2, 'me', at(9, 1)), stored(3, 'bob', at(9, 2)), stored(4, 'bob', at(9, 3))], {
			me: 'me',
			now,
			atStart: true,
			unreadAfterSeq: 2
		});
		expect(rows.map((r) => r.kind)).toEqual(['start', 'day', 'message', 'message', 'unread', 'message', 'message']);
		expect(rows[4]).toMatchObject({ kind: 'unread', count: 2 });
		// The unread line starts a new group.
		expect(rows[5]).toMatchObject({ first: true, last: false });
	});

	it('counts on the unread line only what was unread up to unreadUntilSeq (not what came in while reading)', () => {
		const items = [stored(1, 'me', at(9)), stored(2, 'bob', at(9, 1)), stored(3, 'bob', at(9, 2)), stored(4, 'bob', at(9, 3))];
		const rows = buildRows(items, { me: 'me', now, atStart: false, unreadAfterSeq: 1, unreadUntilSeq: 2 });
		expect(rows.find((r) => r.kind === 'unread')).toMatchObject({ count: 1 });
	});

	it('neither places the unread line on nor counts a call line or a deleted message, as the thread list does not', () => {
		const call = (seq: number, senderId: string): TimelineItem => {
			const message: Message = { id: `id${seq}`, threadId: 't', seq, senderId, clientId: `call${seq}`, kind: 'call', text: 'Missed call', call: { callKind: 'audio', durationSec: 0, outcome: 'missed' }, createdAt: at(9, seq).toISOString() };
			return { kind: 'stored', message, mine: senderId === 'me', status: null };
		};
		const deleted = stored(3, 'bob', at(9, 3));
		if (deleted.kind === 'stored') deleted.message = { ...deleted.message, text: undefined, deleted: true };
		const items = [stored(1, 'me', at(9)), call(2, 'bob'), deleted, stored(4, 'bob', at(9, 4)), call(5, 'me'), stored(6, 'bob', at(9, 6))];
		const rows = buildRows(items, { me: 'me', now, atStart: false, unreadAfterSeq: 1 });
		const line = rows.findIndex((r) => r.kind === 'unread');
		expect(rows[line]).toMatchObject({ count: 2 });
		expect(rows[line + 1]).toMatchObject({ kind: 'message', seq: 4 });
		// Only call lines since the read mark: no line at all.
		expect(buildRows(items.slice(0, 2), { me: 'me', now, atStart: false, unreadAfterSeq: 1 }).some((r) => r.kind === 'unread')).toBe(false);
	});

	it("shows a live stream's line as a centred line with the server's text, never on or in the unread line", () => {
		const live = (seq: number, text?: string): TimelineItem => ({
			kind: 'stored',
			message: { id: `id${seq}`, threadId: 't', seq, senderId: 'bob', clientId: `live${seq}`, kind: 'live', ...(text ? { text } : {}), live: { durationSec: 2530, peakViewers: 17 }, createdAt: at(9, seq).toISOString() },
			mine: false,
			status: null
		});
		const rows = buildRows([stored(1, 'me', at(9)), live(2, 'Live, 42:10, 17 viewers at most'), live(3), stored(4, 'bob', at(9, 4))], { me: 'me', now, atStart: false, unreadAfterSeq: 1 });
		expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'system', 'system', 'unread', 'message']);
		expect(rows[2]).toMatchObject({ kind: 'system', live: true, text: 'Live, 42:10, 17 viewers at most' });
		// No text stored with it (an older server): said from its summary.
		expect(rows[3]).toMatchObject({ kind: 'system', live: true, text: 'Live, 42:10, 17 viewers at most' });
		expect(rows[4]).toMatchObject({ count: 1 });
	});

	it("puts the unread line above a group's system line when that is the first unread", () => {
		const system: TimelineItem = { kind: 'stored', message: { id: 'id2', threadId: 't', seq: 2, senderId: 'bob', clientId: 'sys2', kind: 'system', text: 'Bob renamed the group', createdAt: at(9, 1).toISOString() }, mine: false, status: null };
		const rows = buildRows([stored(1, 'me', at(9)), system, stored(3, 'bob', at(9, 2))], { me: 'me', now, atStart: false, unreadAfterSeq: 1 });
		expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'unread', 'system', 'message']);
		expect(rows[2]).toMatchObject({ count: 2 });
	});
});

function fileMessage(seq: number, senderId: string, fileId: string, file: Message['file']): TimelineItem {
	const message: Message = { id: `id${seq}`, threadId: 't', seq, senderId, clientId: fileId, kind: 'file', file, createdAt: at(10).toISOString() };
	return { kind: 'stored', message, mine: senderId === 'me', status: senderId === 'me' ? 'sent' : null };
}

type Upload = NonNullable<Parameters<typeof buildRows>[1]['uploads']>[number];
const upload = (id: string, over: Partial<Upload> = {}): Upload => ({ id, status: 'uploading', fileId: null, expectedFileId: null, ...over });

describe('file messages and uploads', () => {
	it('names the file of a file message, and says when it was deleted', () => {
		const rows = buildRows(
			[fileMessage(1, 'bob', 'f1', { id: 'f1', name: 'report.pdf', size: 10, type: 'application/pdf' }), fileMessage(2, 'bob', 'f2', { id: 'f2', deleted: true })],
			{ me: 'me', now, atStart: false }
		).filter((r): r is MessageRow => r.kind === 'message');
		expect(rows.map((r) => [r.text, r.file?.id])).toEqual([
			['report.pdf', 'f1'],
			['File deleted', 'f2']
		]);
	});

	it('puts uploads at the end, and drops one the moment its file message is here (matched by the future file id)', () => {
		const uploads = [upload('u1', { status: 'finishing', expectedFileId: 'f1' }), upload('u2'), upload('u3', { status: 'cancelled' })];
		const before = buildRows([stored(1, 'bob', at(9))], { me: 'me', now, atStart: false, uploads });
		expect(before.map((r) => r.key).slice(-2)).toEqual(['u:u1', 'u:u2']);
		const after = buildRows([stored(1, 'bob', at(9)), fileMessage(2, 'me', 'f1', { id: 'f1', name: 'a.bin', size: 1, type: 'application/octet-stream' })], {
			me: 'me',
			now,
			atStart: false,
			uploads
		});
		expect(after.map((r) => r.kind)).toEqual(['day', 'message', 'message', 'upload']);
		expect(after.at(-1)?.key).toBe('u:u2');
		// Also when only the finishing answer named it.
		const late = buildRows([fileMessage(2, 'me', 'f9', { id: 'f9', name: 'a.bin', size: 1, type: 'x/y' })], { me: 'me', now, atStart: false, uploads: [upload('u9', { status: 'done', fileId: 'f9' })] });
		expect(late.some((r) => r.kind === 'upload')).toBe(false);
	});

	it("gives uploads today's separator when the thread's last day is another", () => {
		const rows = buildRows([stored(1, 'bob', at(9, 0, 8))], { me: 'me', now, atStart: false, uploads: [upload('u1')] });
		expect(rows.map((r) => (r.kind === 'day' ? r.label : r.kind))).toEqual(['Yesterday', 'message', 'Today', 'upload']);
	});
});

describe('estimateRow', () => {
	it('knows the height of an image bubble before its thumbnail loads', () => {
		const [, plain] = buildRows([fileMessage(1, 'bob', 'f1', { id: 'f1', name: 'a.pdf', size: 1, type: 'application/pdf' })], { me: 'me', now, atStart: false });
		const [, image] = buildRows([fileMessage(1, 'bob', 'f1', { id: 'f1', name: 'a.png', size: 1, type: 'image/png', width: 400, height: 400, thumbnail: true })], {
			me: 'me',
			now,
			atStart: false
		});
		expect(estimateRow(image, 800) - estimateRow(plain, 800)).toBe(240 + 8);
	});

	it('grows with lines and long text', () => {
		const [, short] = buildRows([stored(1, 'bob', at(9), 'hi')], { me: 'me', now, atStart: false });
		const [, long] = buildRows([stored(1, 'bob', at(9), 'x'.repeat(400))], { me: 'me', now, atStart: false });
		const [, lines] = buildRows([stored(1, 'bob', at(9), 'a\nb\nc')], { me: 'me', now, atStart: false });
		expect(estimateRow(long, 800)).toBeGreaterThan(estimateRow(short, 800));
		expect(estimateRow(lines, 800)).toBeGreaterThan(estimateRow(short, 800));
		expect(estimateRow(long, 360)).toBeGreaterThan(estimateRow(long, 800));
	});
});

describe('buildRows with unfinished uploads', () => {
	const unfinished = { key: 'tus::k::1', name: 'report.pdf', size: 100, type: '', url: 'u', startedAt: at(8).toISOString(), threadId: 't', offset: 50 };
	it('shows a paused upload of an earlier page before the live ones, under today', () => {
		const upload = { id: 'upload-1', status: 'uploading' as const, fileId: null, expectedFileId: null };
		const rows = buildRows([stored(1, 'bob', at(9, 0, 8))], { me: 'me', now, atStart: false, uploads: [upload], unfinished: [unfinished] });
		expect(rows.map((r) => `${r.kind}:${r.key}`)).toEqual(['day:d:2024-03-08:m:bob:c1', 'message:m:bob:c1', 'day:d:2024-03-09:r:tus::k::1', 'unfinished:r:tus::k::1', 'upload:u:upload-1']);
		expect(estimateRow(rows[3], 600)).toBeGreaterThan(100);
	});
});

describe('buildRows in groups', () => {
	it('makes system lines rows of their own that end a run of messages', () => {
		const system: TimelineItem = {
			kind: 'stored',
			mine: false,
			status: null,
			message: { id: 's2', threadId: 't', seq: 2, senderId: 'bob', clientId: 's2', kind: 'system', text: 'Bob added <Cat>', createdAt: at(9, 1).toISOString() }
		};
		const rows = buildRows([stored(1, 'bob', at(9, 0)), system, stored(3, 'bob', at(9, 2))], { me: 'me', now, atStart: false });
		expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'system', 'message']);
		const line = rows[2];
		expect(line.kind === 'system' && line.text).toBe('Bob added <Cat>');
		expect((rows[3] as MessageRow).first).toBe(true);
		expect(estimateRow(line, 600)).toBeGreaterThan(0);
	});
});

describe('countFromOthers', () => {
	it("counts the others' messages after a seq, not one's own nor system lines", () => {
		const messages = [stored(1, 'bob', at(9)), stored(2, 'me', at(9)), stored(3, 'bob', at(9)), stored(4, 'me', at(9)), stored(5, 'bob', at(9))].map((i) => (i.kind === 'stored' ? i.message : null)!);
		messages.push({ ...messages[4], seq: 6, kind: 'system', text: 'Bob renamed the group' });
		expect(countFromOthers(messages, 'me', 2)).toBe(2);
		expect(countFromOthers(messages, 'me', 5)).toBe(0);
		// Nor call lines, nor deleted messages.
		messages.push({ ...messages[4], seq: 7, kind: 'call', text: 'Missed call' }, { ...messages[4], seq: 8, text: undefined, deleted: true });
		expect(countFromOthers(messages, 'me', 5)).toBe(0);
		expect(countFromOthers(messages, 'me', 2)).toBe(2);
	});
});
