import type { LiveEndReason, LiveInfo, LiveSource, LiveState, LiveSummary } from '../../../src/lib/protocol/index.js';
import { newId } from '../../db/ids.js';
import type { CallMedia } from '../call-media.js';

/** A socket on a chat node: where a streamer streams from, or a viewer watches. */
export interface Seat {
	socketId: string;
	/** The chat node's id (`NODE_ID`); its heartbeat stopping drops whoever sits there. */
	node: string;
}

export interface LiveInit {
	threadId: string;
	streamerId: string;
	source: LiveSource;
	/** The thread's members when it started: who may watch and who is told. */
	members: readonly string[];
	/** The streamer's socket; null for an RTMP stream (its publisher is the ingest, on the media node). */
	seat: Seat | null;
	now: number;
}

/**
 * One live stream on this media node: its streamer (on one socket, or the RTMP ingest), who watches
 * now (one socket per person), the most who watched at once, and its media (a `CallMedia`: the same
 * router, transports, producers and consumers as a call, where only the streamer produces).
 */
export class Live {
	readonly id = newId();
	readonly threadId: string;
	readonly streamerId: string;
	readonly source: LiveSource;
	/** The thread's members: refreshed from the database as the stream goes (see `LiveService.audience`). */
	members: Set<string>;
	membersAt: number;
	readonly startedAt: number;
	seat: Seat | null;
	readonly viewers = new Map<string, Seat>();
	peak = 0;
	state: LiveState = 'live';
	endedAt: number | null = null;
	endReason: LiveEndReason | null = null;
	media: Promise<CallMedia> | null = null;
	/** An RTMP stream whose publisher dropped ends when this fires. */
	grace: NodeJS.Timeout | null = null;

	constructor(init: LiveInit) {
		this.threadId = init.threadId;
		this.streamerId = init.streamerId;
		this.source = init.source;
		this.members = new Set(init.members);
		this.membersAt = init.now;
		this.seat = init.seat;
		this.startedAt = init.now;
	}

	/** The socket `userId` streams or watches on. */
	socketOf(userId: string): string | null {
		if (userId === this.streamerId) return this.seat?.socketId ?? null;
		return this.viewers.get(userId)?.socketId ?? null;
	}

	/** Adds (or moves) a viewer; the peak follows. */
	watch(userId: string, seat: Seat): void {
		this.viewers.set(userId, seat);
		this.peak = Math.max(this.peak, this.viewers.size);
	}

	info(): LiveInfo {
		return {
			liveId: this.id,
			threadId: this.threadId,
			streamerId: this.streamerId,
			source: this.source,
			startedAt: new Date(this.startedAt).toISOString(),
			viewers: this.viewers.size,
			state: this.state
		};
	}

	summary(): LiveSummary {
		const end = this.endedAt ?? this.startedAt;
		return { durationSec: Math.max(0, Math.round((end - this.startedAt) / 1000)), peakViewers: this.peak };
	}

	/** The seats of the streamer and every viewer. */
	seats(): Array<{ userId: string; seat: Seat }> {
		const out = [...this.viewers].map(([userId, seat]) => ({ userId, seat }));
		if (this.seat) out.push({ userId: this.streamerId, seat: this.seat });
		return out;
	}

	/** Stops the grace timer and closes the media (the router, with everything on it). Idempotent. */
	close(): void {
		if (this.grace) clearTimeout(this.grace);
		this.grace = null;
		void this.media?.then(
			(m) => m.close(),
			() => undefined
		);
	}
}
