import type { LiveEndReason, LiveInfo, LiveSummary, UserCard } from '$lib/protocol';

/** A stream that ended while this page was open: what its watchers are shown. */
export interface EndedLive {
	liveId: string;
	threadId: string;
	reason: LiveEndReason;
	summary: LiveSummary;
}

/** What `LiveStreams.attach` listens to (the chat socket's `on`, narrowed to the live events). */
export interface LiveEventSource {
	on(event: 'live:started', listener: (payload: { live: LiveInfo; streamer: UserCard }) => void): unknown;
	on(event: 'live:updated', listener: (payload: { live: LiveInfo }) => void): unknown;
	on(event: 'live:ended', listener: (payload: EndedLive) => void): unknown;
}

/**
 * The streams live now in the user's threads, by thread, as runes: filled by `live:active` on every
 * (re)connect, kept live by `live:started`, `live:updated` (viewers, reconnecting) and `live:ended`.
 * The thread list's "Live" badge and the thread's "Live now" bar read it; so do the player's viewer
 * count and its "Live ended".
 */
export class LiveStreams {
	byThread = $state<Record<string, LiveInfo>>({});
	/** Streamers' cards as `live:started` gave them (a name for a stream whose thread lacks it). */
	streamers = $state<Record<string, UserCard>>({});
	/** Streams that ended while the page was open, by liveId (the player says "Live ended"). */
	ended = $state<Record<string, EndedLive>>({});
	/** Told of each stream that ends (the watching or streaming session). */
	#endListeners = new Set<(ended: EndedLive) => void>();

	/** Listens on a new socket and asks it for the streams live now (`active`, the `live:active` request). */
	attach(socket: LiveEventSource, active: () => Promise<{ streams: LiveInfo[] }>): void {
		socket.on('live:started', ({ live, streamer }) => {
			this.streamers[streamer.id] = streamer;
			this.put(live);
		});
		socket.on('live:updated', ({ live }) => this.put(live));
		socket.on('live:ended', (e) => this.end(e));
		void active().then(
			({ streams }) => this.replace(streams),
			() => undefined
		);
	}

	/** All the streams live now (after a reconnect: one missing here has ended meanwhile). */
	replace(streams: LiveInfo[]): void {
		const next: Record<string, LiveInfo> = {};
		for (const live of streams) if (live.state !== 'ended') next[live.threadId] = live;
		this.byThread = next;
	}

	/** A stream's newest state; one that has ended goes away. */
	put(live: LiveInfo): void {
		if (live.state === 'ended') {
			this.#drop(live.liveId);
			return;
		}
		this.byThread[live.threadId] = live;
	}

	/** `live:ended`: the stream goes, remembered as ended for whoever watched it. */
	end(e: EndedLive): void {
		this.#drop(e.liveId);
		this.ended[e.liveId] = { liveId: e.liveId, threadId: e.threadId, reason: e.reason, summary: e.summary };
		for (const listener of this.#endListeners) listener(this.ended[e.liveId]);
	}

	/** `listener` gets each stream that ends; returns the unsubscribe. */
	onEnd(listener: (ended: EndedLive) => void): () => void {
		this.#endListeners.add(listener);
		return () => this.#endListeners.delete(listener);
	}

	/** The stream live in a thread now, if any. */
	of(threadId: string): LiveInfo | null {
		return this.byThread[threadId] ?? null;
	}

	/** A stream by id, if it is live now. */
	byId(liveId: string): LiveInfo | null {
		return Object.values(this.byThread).find((l) => l.liveId === liveId) ?? null;
	}

	#drop(liveId: string): void {
		for (const [threadId, live] of Object.entries(this.byThread)) if (live.liveId === liveId) delete this.byThread[threadId];
	}
}
