import type { TimelineItem } from '$lib/chat/client.svelte';
import { dayKey, dayLabel } from '$lib/chat/format';
import type { DeliveryState } from '$lib/chat/timeline';
import type { Message } from '$lib/protocol';

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
	/** First and last of a run of messages by one sender. */
	first: boolean;
	last: boolean;
}

export type Row =
	| { kind: 'start'; key: 'start' }
	| { kind: 'day'; key: string; label: string }
	| { kind: 'unread'; key: 'unread'; count: number }
	| MessageRow;

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
export function buildRows(items: readonly TimelineItem[], options: { me: string; now: Date; atStart: boolean; unreadAfterSeq?: number | null }): Row[] {
	const rows: Row[] = [];
	if (options.atStart) rows.push({ kind: 'start', key: 'start' });
	let day = '';
	let previous: MessageRow | null = null;
	let unreadPlaced = false;
	for (const item of items) {
		let row: MessageRow;
		let itemDay: string;
		if (item.kind === 'stored') {
			const { at, day: d } = timeOf(item.message);
			itemDay = d;
			row = {
				kind: 'message',
				key: `m:${item.message.senderId}:${item.message.clientId}`,
				senderId: item.message.senderId,
				mine: item.mine,
				text: item.message.kind === 'text' ? (item.message.text ?? '') : item.message.kind === 'file' ? '(a file)' : (item.message.text ?? '(a call)'),
				at,
				iso: item.message.createdAt,
				status: item.status,
				clientId: item.message.clientId,
				seq: item.message.seq,
				first: true,
				last: true
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
		const unreadFrom = options.unreadAfterSeq;
		if (!unreadPlaced && unreadFrom != null && !row.mine && row.seq !== null && row.seq > unreadFrom) {
			unreadPlaced = true;
			const count = items.filter((i) => i.kind === 'stored' && !i.mine && i.message.seq > unreadFrom).length;
			rows.push({ kind: 'unread', key: 'unread', count });
			previous = null;
		}
		if (previous && previous.senderId === row.senderId && row.at.getTime() - previous.at.getTime() < GROUP_GAP_MS) {
			previous.last = false;
			row.first = false;
		}
		rows.push(row);
		previous = row;
	}
	return rows;
}

/** A height guess in px for a row not measured yet; close guesses mean fewer corrections while scrolling. */
export function estimateRow(row: Row, width: number): number {
	if (row.kind === 'day') return 44;
	if (row.kind === 'start') return 120;
	if (row.kind === 'unread') return 40;
	// Bubbles are at most ~75% of the pane; about 8 px per character at 15 px.
	const perLine = Math.max(16, Math.floor((Math.min(width * 0.75, 560) - 28) / 8));
	let lines = 0;
	for (const line of row.text.split('\n')) lines += Math.max(1, Math.ceil(line.length / perLine));
	return 14 + lines * 21 + (row.first ? 6 : 2) + (row.status === 'failed' ? 36 : 0);
}
