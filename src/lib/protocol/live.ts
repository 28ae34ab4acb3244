import { z } from 'zod';
import { mediaIdOf } from './chat-base';

/**
 * Live streams (docs/PROTOCOL.md, "Live streams (extension)"): one member of a thread streams (camera,
 * screen, or RTMP from OBS) and the other members watch, through the same SFU as calls. A live stream is
 * negotiated like a call: after `live:start` / `live:watch`, the `media:*` requests take `callId = liveId`.
 * Only the streamer produces; viewers only consume. The events live in socket.ts beside the calls'.
 */

export type LiveSource = 'camera' | 'screen' | 'rtmp';
/** `reconnecting`: an RTMP publisher dropped; it has 10 s to come back to the same stream. */
export type LiveState = 'live' | 'reconnecting' | 'ended';
/**
 * Why a stream ended: `ended` (the streamer ended it), `streamer_left` (the streamer's socket dropped,
 * or an RTMP publisher did not come back within 10 s), `media_failed` (the SFU process died),
 * `media_lost` (the media node hosting it stopped answering, or was stopped).
 */
export type LiveEndReason = 'ended' | 'streamer_left' | 'media_failed' | 'media_lost';

export interface LiveInfo {
	liveId: string;
	threadId: string;
	streamerId: string;
	source: LiveSource;
	/** ISO 8601. */
	startedAt: string;
	/** How many people watch now (devices of the same person count once). */
	viewers: number;
	state: LiveState;
}

/** The structured part of a message of kind `live` (its `text` says it for people: `Live, 42:10, 17 viewers at most`). */
export interface LiveSummary {
	durationSec: number;
	peakViewers: number;
}

// ---- request schemas -------------------------------------------------------------------------

export const liveStartRequest = z.strictObject({
	threadId: mediaIdOf('threadId'),
	source: z.enum(['camera', 'screen'], { message: 'source must be camera or screen (RTMP streams start from the RTMP ingest)' })
});
export const liveIdRequest = z.strictObject({ liveId: mediaIdOf('liveId') });

export type LiveStartRequest = z.input<typeof liveStartRequest>;
export type LiveIdRequest = z.input<typeof liveIdRequest>;

/** The thread line of a live stream, for people: "Live, 42:10, 17 viewers at most". */
export function liveLine(summary: LiveSummary): string {
	const s = Math.max(0, Math.round(summary.durationSec));
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const sec = String(s % 60).padStart(2, '0');
	const time = `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${sec}`;
	return `Live, ${time}, ${summary.peakViewers} ${summary.peakViewers === 1 ? 'viewer' : 'viewers'} at most`;
}

const summarySchema = z.strictObject({ durationSec: z.number().int().min(0), peakViewers: z.number().int().min(0) });

/** Reads the stored form of a live line (the JSON of a `LiveSummary`); null when it is not one. */
export function parseLiveSummary(text: string | null | undefined): LiveSummary | null {
	if (!text) return null;
	try {
		const parsed = summarySchema.safeParse(JSON.parse(text));
		return parsed.success ? parsed.data : null;
	} catch {
		return null;
	}
}
