import type { CallSummary, Message } from '$lib/protocol';

/**
 * A call's line in a thread and in the thread list, worded for the side reading it: the caller (the
 * call message's sender) reads "Bob declined your call", the one who declined "You declined a call
 * from Alice". Shown as a centred line, not as a message of the caller's.
 */
export function callLineFor(message: Pick<Message, 'senderId' | 'call' | 'text'>, who: { me: string; callerName: string; peerName: string }): string {
	const call: CallSummary | undefined = message.call;
	if (!call) return message.text ?? 'Call';
	if (call.people !== undefined) {
		if (call.outcome === 'failed' && call.durationSec === 0) return 'Group call failed';
		return `Group call · ${length(call.durationSec)} · ${call.people} ${call.people === 1 ? 'person' : 'people'}`;
	}
	const mine = message.senderId === who.me;
	const video = call.callKind === 'video';
	switch (call.outcome) {
		case 'completed':
			return `${video ? 'Video call' : 'Voice call'} · ${length(call.durationSec)}`;
		case 'declined':
			return mine ? `${who.peerName} declined your call` : `You declined a call from ${who.callerName}`;
		case 'cancelled':
			return mine ? 'Cancelled call' : `Missed ${video ? 'video call' : 'call'} from ${who.callerName}`;
		case 'missed':
		case 'busy':
			return mine ? `No answer from ${who.peerName}` : `Missed ${video ? 'video call' : 'call'} from ${who.callerName}`;
		case 'failed':
			return 'Call failed';
	}
}

/** "45 s", "3 min", "1 h 5 min". */
export function length(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	if (s < 60) return `${s} s`;
	const minutes = Math.round(s / 60);
	if (minutes < 60) return `${minutes} min`;
	const h = Math.floor(minutes / 60);
	const m = minutes % 60;
	return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
