import type { CallClient } from '$lib/call/call.svelte';
import type { LiveClient } from './session.svelte';

/** One choice of the "Go live" menu (the shape of MemberMenu's items). */
export interface LiveMenuItem {
	label: string;
	run: () => void;
}

/**
 * The "Go live" choices for a thread: the camera, or a screen or window; none while a stream runs in it
 * or this tab streams or watches one; one that says why when the server carries no media.
 */
export function goLiveItems(live: LiveClient | null, calls: CallClient | null, threadId: string): LiveMenuItem[] {
	if (!live || live.streams.of(threadId) || live.busy) return [];
	if (calls?.availability.media === 'unavailable') {
		return [{ label: `Live is unavailable on this server${calls.availability.reason ? `: ${calls.availability.reason}` : ''}`, run: () => undefined }];
	}
	return [
		{ label: 'Go live with your camera', run: () => void live.goLive(threadId, 'camera') },
		{ label: 'Go live with a screen or window', run: () => void live.goLive(threadId, 'screen') }
	];
}
