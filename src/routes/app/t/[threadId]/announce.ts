import { fileLine } from '$lib/files/format';
import { plural, preview } from '$lib/chat/format';
import type { Message } from '$lib/protocol';

export interface AnnounceContext {
	/** The user: their own messages are not read out. */
	me: string;
	/** Whose message it is, as the bubbles say it. */
	nameOf: (userId: string) => string;
	group: boolean;
	/** The peer, or the group's title. */
	peerName: string;
}

/**
 * What screen readers hear of the open thread's newest messages: `seq` is the last one seen (null before the
 * first look, when the history already there is not read out). Returns the new last seen seq and what to
 * announce (null: nothing new to say, the previous announcement stays).
 */
export function announce(messages: readonly Message[], seenSeq: number | null, context: AnnounceContext): { seq: number; text: string | null } {
	const lastSeq = messages.length > 0 ? messages[messages.length - 1].seq : 0;
	if (seenSeq === null || lastSeq < seenSeq) return { seq: lastSeq, text: null };
	const fresh: Message[] = [];
	for (let i = messages.length - 1; i >= 0 && messages[i].seq > seenSeq; i--) if (messages[i].senderId !== context.me) fresh.unshift(messages[i]);
	if (fresh.length === 1 && fresh[0].kind === 'system') return { seq: lastSeq, text: fresh[0].text ?? '' };
	if (fresh.length === 1) return { seq: lastSeq, text: `${context.nameOf(fresh[0].senderId)}: ${fresh[0].kind === 'file' ? fileLine(fresh[0].file) : preview(fresh[0].text ?? '', 300)}` };
	if (fresh.length > 1) return { seq: lastSeq, text: `${plural(fresh.length, 'new message')} ${context.group ? 'in' : 'from'} ${context.peerName}` };
	return { seq: lastSeq, text: null };
}
