import type { Message, Thread } from '$lib/protocol';

/** What the page does about one live message: a tone, a desktop notification, both or neither. */
export interface AlertDecision {
	sound: boolean;
	desktop: boolean;
}

export interface AlertContext {
	/** The signed-in user's id. */
	me: string;
	/** The thread open in the page, if any. */
	activeThreadId: string | null;
	/** The open thread's newest message is on screen in a visible, focused page (`ChatClient.viewing`). */
	viewing: boolean;
	/** `document.visibilityState === 'hidden'`. */
	hidden: boolean;
	/** Now, as an ISO string (compared with `mutedUntil`). */
	now: string;
	prefs: { sound: boolean; desktop: boolean };
	/** `Notification.permission === 'granted'`. */
	permitted: boolean;
	/** Whether the user blocked this person (their group messages alert nothing). Default: nobody. */
	blocked?: (userId: string) => boolean;
}

/** Whether the thread is muted at `now` (`mutedUntil` is in the future; 'forever' is a far date). */
export function isMuted(thread: Pick<Thread, 'mutedUntil'>, now: string): boolean {
	return !!thread.mutedUntil && thread.mutedUntil > now;
}

/**
 * Decides the alerts for a live message: none for one's own, a group's system line, a call's or a live stream's line, a
 * muted thread or a group message from someone the user blocked; a tone when the thread is not the one
 * being looked at; a desktop notification when the tab is hidden.
 */
export function decideAlert(message: Message, thread: Thread, context: AlertContext): AlertDecision {
	const none = { sound: false, desktop: false };
	// A call's line is a record of a call that rang already (or that the user took part in), not news;
	// a live stream's line, of a stream the thread showed as live while it ran.
	if (message.senderId === context.me || message.kind === 'system' || message.kind === 'call' || message.kind === 'live') return none;
	if (message.seq <= thread.readSeq || isMuted(thread, context.now)) return none;
	if (thread.kind === 'group' && context.blocked?.(message.senderId)) return none;
	const inView = context.activeThreadId === thread.id && context.viewing && !context.hidden;
	if (inView) return none;
	return { sound: context.prefs.sound, desktop: context.hidden && context.prefs.desktop && context.permitted };
}
