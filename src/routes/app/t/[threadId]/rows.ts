import type { TimelineItem } from '$lib/chat/messages.svelte';
import { dayKey, dayLabel } from '$lib/chat/format';
import type { DeliveryState } from '$lib/chat/timeline';
import { thumbBox } from '$lib/files/format';
import type { FileUpload, UnfinishedUpload } from '$lib/files/uploads.svelte';
import { liveLine, type FileRef, type Message } from '$lib/protocol';
import { countsAsUnread } from '$lib/chat/unread';

/** Messages of one sender closer together than this share a group (one tail, tight spacing). */
export const GROUP_GAP_MS = 5 * 60_000;

export interface MessageRow {
	kind: 'message';
	/** Stable from the moment of writing: a pending message keeps its key once stored, so nothing re-renders. */
	key: string;
	senderId: string;
	mine: boolean;
	text: string;
	at: Date;
	iso: string;
	/** Own messages only. */
	status: DeliveryState | null;
	/** Why the server refused it (status `failed`). */
	error?: string;
	clientId: string;
	seq: number | null;
	/** Kind `file`: the file (`{id, deleted: true}` once its owner deleted it). */
	file?: FileRef;
	/** First and last of a run of messages by one sender. */
	first: boolean;
	last: boolean;
	/** The stored message (message actions: its quote, reactions, "edited", tombstone); none while pending. */
	message?: Message;
}

/** A file of ours still going up into this thread. */
export interface UploadRow {
	kind: 'upload';
	key: string;
	upload: FileUpload;
}

/** A file of ours an earlier page began sending here and did not finish (a reload, a closed tab). */
export interface UnfinishedRow {
	kind: 'unfinished';
	key: string;
	unfinished: UnfinishedUpload;
}

/** A group's system line ("Alice added Bob") or a call's line ("Bob declined your call"), centred; plain text. */
export interface SystemRow {
	kind: 'system';
	/** A call's line. */
	call?: boolean;
	/** A live stream's line ("Live, 42:10, 17 viewers at most"). */
	live?: boolean;
	key: string;
	text: string;
	seq: number;
	iso: string;
}

export type Row =
	| { kind: 'start'; key: 'start' }
	| SystemRow
	| { kind: 'day'; key: string; label: string }
	| { kind: 'unread'; key: 'unread'; count: number }
	| MessageRow
	| UploadRow
	| UnfinishedRow;

/** What buildRows needs of an upload (a FileUpload; a plain object in tests). */
type UploadLike = Pick<FileUpload, 'id' | 'status' | 'fileId' | 'expectedFileId'>;

const parsed = new WeakMap<Message, { at: Date; day: string }>();

function timeOf(message: Message): { at: Date; day: string } {
	let hit = parsed.get(message);
	if (!hit) {
		const at = new Date(message.createdAt);
		hit = { at, day: dayKey(at) };
		parsed.set(message, hit);
	}
	return hit;
}

/**
 * The rows the thread view shows: day separators, an "unread" line before the first message that was
 * unread when the thread was opened, and the messages grouped by sender. `atStart` adds the
 * beginning-of-conversation row when no older page is left.
 */
export function buildRows(
	items: readonly TimelineItem[],
	options: {
		me: string;
		now: Date;
		atStart: boolean;
		unreadAfterSeq?: number | null;
		/** The last message the unread line counts (those after it came in while the user read along). */
		unreadUntilSeq?: number | null;
		uploads?: readonly UploadLike[];
		/** Paused uploads of earlier pages, shown before the live ones (they began first). */
		unfinished?: readonly UnfinishedUpload[];
		/** A call's line as this user reads it; default the server's text. */
		callText?: (message: Message) => string;
	}
): Row[] {
	const rows: Row[] = [];
	if (options.atStart) rows.push({ kind: 'start', key: 'start' });
	let day = '';
	let previous: MessageRow | null = null;
	// The unread line goes before the first message that counts as unread (as the thread list's count:
	// not one's own, a call's line or a deleted one), with how many there are.
	const unreadFrom = options.unreadAfterSeq;
	const unreadUntil = options.unreadUntilSeq ?? Infinity;
	const unreadItems = unreadFrom == null ? [] : items.filter((i) => i.kind === 'stored' && i.message.seq > unreadFrom && i.message.seq <= unreadUntil && countsAsUnread(i.message, options.me));
	const unreadSeq = unreadItems.length > 0 && unreadItems[0].kind === 'stored' ? unreadItems[0].message.seq : null;
	const unreadLine = (seq: number | null) => {
		if (seq === null || seq !== unreadSeq) return;
		rows.push({ kind: 'unread', key: 'unread', count: unreadItems.length });
		previous = null;
	};
	for (const item of items) {
		let row: MessageRow;
		let itemDay: string;
		if (item.kind === 'stored' && (item.message.kind === 'system' || item.message.kind === 'call' || item.message.kind === 'live')) {
			const { at, day: d } = timeOf(item.message);
			if (d !== day) {
				day = d;
				rows.push({ kind: 'day', key: `d:${day}:s:${item.message.seq}`, label: dayLabel(at, options.now) });
			}
			unreadLine(item.message.seq);
			const call = item.message.kind === 'call';
			const live = item.message.kind === 'live';
			const text = call ? (options.callText?.(item.message) ?? item.message.text ?? 'Call') : live ? liveText(item.message) : (item.message.text ?? '');
			rows.push({ kind: 'system', key: `s:${item.message.seq}`, text, seq: item.message.seq, iso: item.message.createdAt, ...(call ? { call } : {}), ...(live ? { live } : {}) });
			previous = null;
			continue;
		} else if (item.kind === 'stored') {
			const { at, day: d } = timeOf(item.message);
			itemDay = d;
			row = {
				kind: 'message',
				key: `m:${item.message.senderId}:${item.message.clientId}`,
				senderId: item.message.senderId,
				mine: item.mine,
				text: item.message.deleted ? 'Message deleted' : item.message.kind === 'text' ? (item.message.text ?? '') : item.message.kind === 'file' ? fileText(item.message.file) : (item.message.text ?? '(a call)'),
				at,
				iso: item.message.createdAt,
				status: item.status,
				clientId: item.message.clientId,
				seq: item.message.seq,
				file: item.message.kind === 'file' && !item.message.deleted ? (item.message.file ?? { id: item.message.clientId, deleted: true }) : undefined,
				first: true,
				last: true,
				message: item.message
			};
		} else {
			const at = new Date(item.pending.createdAt);
			itemDay = dayKey(at);
			row = {
				kind: 'message',
				key: `m:${options.me}:${item.pending.clientId}`,
				senderId: options.me,
				mine: true,
				text: item.pending.text,
				at,
				iso: item.pending.createdAt,
				status: item.pending.state,
				error: item.pending.error,
				clientId: item.pending.clientId,
				seq: null,
				first: true,
				last: true
			};
		}
		if (itemDay !== day) {
			day = itemDay;
			// Keyed by its first message too: when older messages of the same day load, the separator moves
			// above them as a new row, instead of one row that silently changed place (the list anchors on keys).
			rows.push({ kind: 'day', key: `d:${day}:${row.key}`, label: dayLabel(row.at, options.now) });
			previous = null;
		}
		unreadLine(row.seq);
		if (previous && previous.senderId === row.senderId && row.at.getTime() - previous.at.getTime() < GROUP_GAP_MS) {
			previous.last = false;
			row.first = false;
		}
		rows.push(row);
		previous = row;
	}
	if (options.unfinished?.length || options.uploads?.length) {
		// An upload's bubble gives way to its file message the moment that is here (its clientId is the
		// file id), in the same update: never both, never neither.
		const posted = new Set<string>();
		for (const item of items) if (item.kind === 'stored' && item.mine && item.message.kind === 'file') posted.add(item.message.clientId);
		let dayShown = day === dayKey(options.now);
		for (const unfinished of options.unfinished ?? []) {
			if (!dayShown) {
				dayShown = true;
				rows.push({ kind: 'day', key: `d:${dayKey(options.now)}:r:${unfinished.key}`, label: dayLabel(options.now, options.now) });
			}
			rows.push({ kind: 'unfinished', key: `r:${unfinished.key}`, unfinished });
		}
		for (const upload of options.uploads ?? []) {
			if (upload.status === 'cancelled') continue;
			if ((upload.expectedFileId && posted.has(upload.expectedFileId)) || (upload.fileId && posted.has(upload.fileId))) continue;
			if (!dayShown) {
				dayShown = true;
				rows.push({ kind: 'day', key: `d:${dayKey(options.now)}:u:${upload.id}`, label: dayLabel(options.now, options.now) });
			}
			rows.push({ kind: 'upload', key: `u:${upload.id}`, upload: upload as FileUpload });
		}
	}
	return rows;
}

/** How many messages of the others (not system or call lines, not deleted) are in `messages` after `afterSeq`. */
export function countFromOthers(messages: readonly Message[], me: string, afterSeq: number): number {
	let n = 0;
	for (let i = messages.length - 1; i >= 0 && messages[i].seq > afterSeq; i--) if (messages[i].kind !== 'system' && countsAsUnread(messages[i], me)) n++;
	return n;
}

/** A live stream's line as the server wrote it for people; from its summary when the text is missing. */
function liveText(message: Message): string {
	return message.text || (message.live ? liveLine(message.live) : 'Live');
}

function fileText(file: FileRef | undefined): string {
	return file && !file.deleted ? file.name : 'File deleted';
}

/** Px of a file bubble besides its thumbnail: name, size and the buttons. */
const FILE_BODY = 64;

/** A height guess in px for a row not measured yet; close guesses mean fewer corrections while scrolling. */
export function estimateRow(row: Row, width: number): number {
	if (row.kind === 'day') return 44;
	if (row.kind === 'system') return 34;
	if (row.kind === 'start') return 120;
	if (row.kind === 'unread') return 40;
	if (row.kind === 'upload') return 118;
	if (row.kind === 'unfinished') return 140;
	if (row.file) {
		const spacing = row.first ? 6 : 2;
		if (row.file.deleted) return FILE_BODY + spacing;
		return FILE_BODY + spacing + (row.file.thumbnail ? thumbBox(row.file.width, row.file.height).height + 8 : 0);
	}
	// Bubbles are at most ~75% of the pane; about 8 px per character at 15 px.
	const perLine = Math.max(16, Math.floor((Math.min(width * 0.75, 560) - 28) / 8));
	let lines = 0;
	for (const line of row.text.split('\n')) lines += Math.max(1, Math.ceil(line.length / perLine));
	return 14 + lines * 21 + (row.first ? 6 : 2) + (row.status === 'failed' ? 36 : 0);
}
