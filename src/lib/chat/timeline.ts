import type { Message } from '$lib/protocol';

/**
 * A thread's loaded messages: ascending by seq, each seq once. The window may start anywhere (older
 * pages load on demand) but has no holes: `tailSeq` is its last seq, and anything newer that arrives
 * out of order triggers a fetch of what lies between.
 */
export function mergeMessages(list: readonly Message[], incoming: readonly Message[]): Message[] {
	if (incoming.length === 0) return list as Message[];
	const bySeq = new Map<number, Message>();
	for (const m of list) bySeq.set(m.seq, m);
	for (const m of incoming) if (!isStale(m, bySeq.get(m.seq))) bySeq.set(m.seq, m);
	return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Message actions: true when `incoming` is an older state of the message than `held` (a page read
 * before an edit, delete or reaction that already arrived live). States are ordered by `changeSeq`.
 */
export function isStale(incoming: Message, held: Message | undefined): boolean {
	return held !== undefined && (held.changeSeq ?? 0) > (incoming.changeSeq ?? 0);
}

/** The last seq of the hole-free run that starts at the window's first message (0 when empty). */
export function contiguousTail(list: readonly Message[]): number {
	if (list.length === 0) return 0;
	let tail = list[0].seq;
	for (let i = 1; i < list.length; i++) {
		if (list[i].seq !== tail + 1) break;
		tail = list[i].seq;
	}
	return tail;
}

/** What to do with a message that arrived live, given the window held for its thread. */
export function placeLive(list: readonly Message[] | undefined, message: Message): 'append' | 'duplicate' | 'gap' | 'not-loaded' {
	if (!list) return 'not-loaded';
	const tail = list.length === 0 ? 0 : list[list.length - 1].seq;
	if (message.seq <= tail) return 'duplicate';
	if (message.seq === tail + 1) return 'append';
	return 'gap';
}

export type DeliveryState = 'sending' | 'failed' | 'sent' | 'delivered' | 'read';

/** The status tick of one's own stored message, from the peer's receipts. */
export function deliveryState(seq: number, peer: { deliveredSeq: number; readSeq: number }): DeliveryState {
	if (seq <= peer.readSeq) return 'read';
	if (seq <= peer.deliveredSeq) return 'delivered';
	return 'sent';
}
