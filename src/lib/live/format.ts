import type { LiveEndReason } from '$lib/protocol';

// How a live stream's numbers read on screen: the elapsed time as a clock ("42:10", "1:02:03") and the
// viewer count. The thread's line once it ended is the protocol's `liveLine`, shared with the server.

/** Seconds as a clock: 0:07, 42:10, 1:02:03 past an hour. Negative or fractional input is clamped and floored. */
export function clockText(seconds: number): string {
	const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const sec = String(s % 60).padStart(2, '0');
	return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Whole seconds from `startedAt` (ISO 8601) to `now` (ms); 0 before the start or for a date that does not parse. */
export function elapsedSeconds(startedAt: string | null | undefined, now: number): number {
	const start = startedAt ? Date.parse(startedAt) : NaN;
	return Number.isNaN(start) ? 0 : Math.max(0, Math.floor((now - start) / 1000));
}

/** "1 viewer", "17 viewers", "No viewers yet". */
export function viewersText(count: number): string {
	if (count <= 0) return 'No viewers yet';
	return count === 1 ? '1 viewer' : `${count} viewers`;
}

/** What the player says once a stream ended, by why, to its streamer or its viewers. */
export function endedText(reason: LiveEndReason | 'left' | 'error', role: 'streamer' | 'viewer'): string {
	switch (reason) {
		case 'ended':
			return role === 'streamer' ? 'You ended the live' : 'Live ended';
		case 'streamer_left':
			return role === 'streamer' ? 'Live ended: your connection was lost' : 'Live ended: the streamer left';
		case 'media_failed':
		case 'media_lost':
			return "Live ended: the server's media stopped";
		case 'left':
			return 'You stopped watching';
		case 'error':
			return role === 'streamer' ? 'Could not go live' : 'Could not watch this live';
	}
}
