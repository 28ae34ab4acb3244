import { describe, expect, it } from 'vitest';
import type { Message } from '$lib/protocol';
import { contiguousTail, deliveryState, isStale, mergeMessages, placeLive } from './timeline';

const m = (seq: number, text = `m${seq}`): Message => ({
	id: `id${seq}`,
	threadId: 't',
	seq,
	senderId: 'u',
	clientId: `c${seq}`,
	kind: 'text',
	text,
	createdAt: '2026-11-27T00:00:00.000Z'
});

describe('timeline', () => {
	it('merges pages and live messages into one ascending list without duplicates', () => {
		const merged = mergeMessages([m(3), m(4)], [m(1), m(2), m(4, 'again'), m(5)]);
		expect(merged.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
		expect(merged[3].text).toBe('again');
	});

	it('finds the end of the hole-free run', () => {
		expect(contiguousTail([])).toBe(0);
		expect(contiguousTail([m(5), m(6), m(8)])).toBe(6);
		expect(contiguousTail([m(1), m(2), m(3)])).toBe(3);
	});

	it('places live messages: append, duplicate, gap, or not loaded', () => {
		expect(placeLive(undefined, m(1))).toBe('not-loaded');
		expect(placeLive([], m(1))).toBe('append');
		expect(placeLive([m(1), m(2)], m(3))).toBe('append');
		expect(placeLive([m(1), m(2)], m(2))).toBe('duplicate');
		expect(placeLive([m(1), m(2)], m(5))).toBe('gap');
		expect(placeLive([], m(4))).toBe('gap');
	});

	it('derives ticks from the peer receipts', () => {
		expect(deliveryState(3, { deliveredSeq: 2, readSeq: 1 })).toBe('sent');
		expect(deliveryState(2, { deliveredSeq: 2, readSeq: 1 })).toBe('delivered');
		expect(deliveryState(1, { deliveredSeq: 2, readSeq: 1 })).toBe('read');
	});
});

describe('message actions: newer states win', () => {
	const base = { id: 'm', threadId: 't', senderId: 'u', clientId: 'c', kind: 'text' as const, createdAt: '2026-12-07T00:00:00.000Z' };
	it('a page read before an edit does not undo it; a newer state replaces an older one', () => {
		const edited = { ...base, seq: 1, text: 'new', editedAt: '2026-12-07T00:01:00.000Z', changeSeq: 3 };
		const old = { ...base, seq: 1, text: 'old' };
		expect(isStale(old, edited)).toBe(true);
		expect(mergeMessages([edited], [old])).toEqual([edited]);
		const deleted = { ...base, seq: 1, deleted: true as const, changeSeq: 4 };
		expect(mergeMessages([edited], [deleted])).toEqual([deleted]);
		expect(isStale(edited, undefined)).toBe(false);
	});
});
