import type { CallEndReason } from '$lib/protocol';
import type { CallStats } from './transport';

/** Why the call view shows "ended": the server's reasons, or a problem on this side. */
export type EndedReason = CallEndReason | 'connection_lost' | 'device' | 'unavailable' | 'error' | 'left';

export const ENDED_TEXT: Record<EndedReason, string> = {
	hangup: 'Call ended',
	left: 'You left the call',
	cancelled: 'Call cancelled',
	declined: 'Declined',
	busy: 'Busy: they are in another call',
	no_answer: 'No answer',
	answered_elsewhere: 'Answered on another device',
	peer_left: 'The connection to them was lost',
	media_failed: 'The call failed on the server',
	media_lost: "The call's media server stopped; start the call again",
	moved: 'You joined from another device',
	connection_lost: 'Your connection was lost',
	device: 'Could not start your camera or microphone',
	unavailable: 'Calls are unavailable on this server',
	error: 'The call failed'
};

/** How long "ended" stays on screen before the view closes by itself. */
export const ENDED_SHOWN_MS = 2500;

/** Ends that were a failure (the server's media, the connection, the devices): the view offers the call test. */
export const FAILED_REASONS: ReadonlySet<EndedReason> = new Set<EndedReason>(['media_failed', 'media_lost', 'connection_lost', 'device', 'error']);

/** A failed call's view stays longer: long enough to follow its "Test camera and microphone" link. */
export const FAILED_SHOWN_MS = 10_000;

/**
 * `window.__parleyCall`: read-only numbers for browser tests and support (the phase, the RTP stream
 * totals, what each tile asked of its consumer); it can change nothing.
 */
export function exposeTestHook(phase: () => string, media: { stats(): Promise<CallStats | null>; transport: { handlerName: string } | null; wants(): unknown; consumers(): unknown }): void {
	if (typeof window === 'undefined') return;
	const hook = Object.freeze({
		phase,
		stats: () => media.stats(),
		handler: () => media.transport?.handlerName ?? null,
		/** Per video consumer: the pause and simulcast layer its tile asked for, and what the server acknowledged. */
		wants: () => media.wants(),
		/** Per consumer: whose, its kind and source, paused here or at its producer. */
		consumers: () => media.consumers()
	});
	Object.defineProperty(window, '__parleyCall', { value: hook, configurable: true, enumerable: false, writable: false });
}
