import { fileLine } from '$lib/files/format';
import { callLineFor } from '$lib/chat/callLine';
import type { PendingMessage } from '$lib/chat/outbox';
import type { Thread } from '$lib/protocol';

const firstName = (name: string) => name.split(/\s+/)[0];

/** What the thread list shows of a thread's newest message; an unsent one of ours counts as newest. */
/** @param blocked whether the user blocked this person: their group message shows collapsed here too (default: nobody). */
export function lastLineOf(thread: Thread, pending: readonly PendingMessage[], me: string, blocked: (userId: string) => boolean = () => false): { text: string; mine: boolean; at: string | null; pending: boolean } {
	const unsent = pending.findLast((p) => p.threadId === thread.id);
	if (unsent && (!thread.lastMessage || unsent.createdAt >= thread.lastMessage.createdAt)) {
		return { text: unsent.text, mine: true, at: unsent.createdAt, pending: true };
	}
	const m = thread.lastMessage;
	if (!m) return { text: '', mine: false, at: null, pending: false };
	const mine = m.senderId === me;
	const nameOf = (id: string) => thread.members.find((p) => p.id === id)?.displayName ?? 'Someone';
	const peerName = thread.kind === 'group' ? (thread.title ?? 'the group') : (thread.members.find((p) => p.id !== me)?.displayName ?? 'Someone');
	let text = m.kind === 'text' ? (m.text ?? '') : m.kind === 'file' ? fileLine(m.file) : m.kind === 'system' || m.kind === 'live' ? (m.text ?? '') : callLineFor(m, { me, callerName: nameOf(m.senderId), peerName });
	// In a group, whose message it is: "Bob: see you"; system, call and live lines stand alone.
	const line = m.kind === 'system' || m.kind === 'call' || m.kind === 'live';
	if (thread.kind === 'group' && !mine && !line && blocked(m.senderId)) {
		text = 'Message from someone you blocked';
	} else if (thread.kind === 'group' && !mine && !line) {
		const sender = thread.members.find((p) => p.id === m.senderId);
		if (sender) text = `${firstName(sender.displayName)}: ${text}`;
	}
	return { text, mine: mine && !line, at: m.createdAt, pending: false };
}

/** Who is typing in a group, for the list: "Bob is", or "2 people are". */
export function typingNameOf(thread: Thread, typing: readonly string[]): string {
	if (typing.length !== 1) return `${typing.length} people are`;
	const member = thread.members.find((m) => m.id === typing[0]);
	return `${member ? firstName(member.displayName) : 'Someone'} is`;
}
