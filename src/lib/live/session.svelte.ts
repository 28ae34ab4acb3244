import type { ChatClient } from '$lib/chat/client.svelte';
import type { ChatSocket } from '$lib/chat/connection';
import type { LiveEndReason, LiveInfo, ProducerInfo } from '$lib/protocol';
import { stopStream } from '$lib/call/devices';
import { capture } from './capture';
import { elapsedSeconds, endedText } from './format';
import { LiveStreams } from './streams.svelte';
import { LiveTransport, type LiveStats } from './transport';

export type LivePhase = 'idle' | 'starting' | 'live' | 'ended';
export type LiveRole = 'streamer' | 'viewer';

/**
 * The user's live streaming in this tab, as runes: the streams live in their threads (`streams`), and
 * the one stream this tab sends (`role` streamer: the preview, the timer, the viewers, "End live") or
 * watches (`role` viewer: the video, the timer, the viewers, "Leave"). One at a time. The media goes
 * through the call SFU's `media:*` requests with `callId = liveId` (docs/PROTOCOL.md, "Live streams").
 */
export class LiveClient {
	readonly streams = new LiveStreams();
	phase = $state<LivePhase>('idle');
	role = $state<LiveRole | null>(null);
	/** The thread of the stream sent or watched (the thread page shows the player there). */
	threadId = $state<string | null>(null);
	live = $state<LiveInfo | null>(null);
	/** The streamer's own camera or screen (the preview). */
	localStream = $state.raw<MediaStream | null>(null);
	/** What a viewer receives: the stream's video and sound. */
	remoteStream = $state.raw<MediaStream | null>(null);
	/** Why the stream is over, as the player says it ("Live ended"). */
	endedText = $state<string | null>(null);
	/** Something to know that does not stop the stream (no sound). */
	notice = $state<string | null>(null);
	now = $state(Date.now());

	/** The stream's newest state (viewers) from the events, else the one this session started with. */
	current = $derived(this.live ? (this.streams.byId(this.live.liveId) ?? this.live) : null);
	viewers = $derived(this.current?.viewers ?? 0);
	elapsed = $derived(this.phase === 'live' ? elapsedSeconds(this.current?.startedAt, this.now) : 0);
	/** This tab sends or watches a stream now (or is getting there). */
	busy = $derived(this.phase === 'starting' || this.phase === 'live');

	readonly #chat: ChatClient;
	#transport: LiveTransport | null = null;
	/** Producers announced before the viewer's transport was ready. */
	#pending: ProducerInfo[] = [];
	#ticker: ReturnType<typeof setInterval> | null = null;
	/** Bumped by each start, watch and finish: work of an older attempt stops when it sees a newer one. */
	#attempt = 0;
	/** The socket this tab watches on, and the newest socket. */
	#socket: ChatSocket | null = null;
	#latest: ChatSocket | null = null;
	readonly #unsubscribe: (() => void)[] = [];

	constructor(chat: ChatClient) {
		this.#chat = chat;
		this.#unsubscribe.push(
			chat.onSocket((socket) => this.#attach(socket)),
			this.streams.onEnd((e) => {
				if (this.live?.liveId === e.liveId && this.busy) this.#finish(e.reason);
			})
		);
		exposeTestHook(this);
	}

	get me(): string {
		return this.#chat.me.id;
	}

	/** Goes live in a thread with the camera or a screen. */
	async goLive(threadId: string, source: 'camera' | 'screen'): Promise<void> {
		if (this.busy) return;
		const attempt = this.#begin('streamer', threadId);
		let live: LiveInfo | null = null;
		try {
			const media = await capture(source);
			this.localStream = media.stream;
			this.notice = media.notice;
			if (attempt !== this.#attempt) return stopStream(media.stream);
			// The browser's own "Stop sharing" ends the stream.
			media.video.addEventListener('ended', () => attempt === this.#attempt && void this.end());
			({ live } = await this.#chat.request('live:start', { threadId, source }));
			this.live = live;
			this.streams.put(live);
			if (attempt !== this.#attempt) return void this.#chat.request('live:end', { liveId: live.liveId }).catch(() => undefined);
			this.#transport = await LiveTransport.open({ liveId: live.liveId, request: this.#chat.request.bind(this.#chat), direction: 'send' });
			await this.#transport.produce(media.video, source);
			if (media.audio) await this.#transport.produce(media.audio, 'mic');
			if (attempt === this.#attempt) this.#running();
		} catch (error) {
			if (attempt !== this.#attempt) return;
			if (live) void this.#chat.request('live:end', { liveId: live.liveId }).catch(() => undefined);
			this.#finish('error', error);
		}
	}

	/** Watches a stream of one of the user's threads. */
	async watch(live: LiveInfo): Promise<void> {
		if (this.busy) return;
		const attempt = this.#begin('viewer', live.threadId);
		this.live = live;
		try {
			await this.#watch(attempt);
		} catch (error) {
			if (attempt === this.#attempt) this.#finish('error', error);
		}
	}

	async #watch(attempt: number): Promise<void> {
		const liveId = this.live!.liveId;
		const { live } = await this.#chat.request('live:watch', { liveId });
		if (attempt !== this.#attempt) return;
		this.live = live;
		this.streams.put(live);
		this.#socket = this.#latest;
		const transport = await LiveTransport.open({ liveId, request: this.#chat.request.bind(this.#chat), direction: 'recv' });
		if (attempt !== this.#attempt) return transport.close();
		this.#transport = transport;
		const { producers } = await this.#chat.request('media:producers', { callId: liveId });
		for (const p of [...producers, ...this.#pending.splice(0)]) await transport.consume(p);
		if (attempt !== this.#attempt) return;
		this.#showRemote();
		this.#running();
	}

	/** The streamer ends the stream (its line is written into the thread). */
	async end(): Promise<void> {
		const live = this.live;
		if (this.role !== 'streamer' || !live || !this.busy) return;
		this.#finish('ended');
		await this.#chat.request('live:end', { liveId: live.liveId }).catch(() => undefined);
	}

	/** A viewer stops watching. */
	async leave(): Promise<void> {
		const live = this.live;
		if (this.role !== 'viewer' || !live) return;
		const wasWatching = this.busy;
		this.#finish('left');
		this.close();
		if (wasWatching) await this.#chat.request('live:leave', { liveId: live.liveId }).catch(() => undefined);
	}

	/** Puts the ended player away. */
	close(): void {
		if (this.busy) return;
		this.phase = 'idle';
		this.role = null;
		this.threadId = null;
		this.live = null;
		this.endedText = null;
		this.notice = null;
	}

	/** The stream's RTP totals (browser tests, support); null without a stream. */
	async stats(): Promise<LiveStats | null> {
		return this.#transport ? this.#transport.stats() : null;
	}

	destroy(): void {
		if (this.role === 'streamer') void this.end();
		else void this.leave();
		for (const stop of this.#unsubscribe) stop();
	}

	// ---- internals ---------------------------------------------------------------------------------

	#begin(role: LiveRole, threadId: string): number {
		this.#cleanup();
		this.role = role;
		this.threadId = threadId;
		this.live = null;
		this.endedText = null;
		this.notice = null;
		this.phase = 'starting';
		return ++this.#attempt;
	}

	#running(): void {
		this.phase = 'live';
		this.now = Date.now();
		this.#ticker ??= setInterval(() => (this.now = Date.now()), 1000);
	}

	/** The stream is over for this tab: says why, lets go of the media. */
	#finish(reason: LiveEndReason | 'left' | 'error', error?: unknown): void {
		this.#attempt++;
		this.#cleanup();
		const why = error instanceof Error ? error.message : error ? String(error) : '';
		this.endedText = `${endedText(reason, this.role ?? 'viewer')}${reason === 'error' && why ? `: ${why}` : ''}`;
		this.phase = 'ended';
	}

	#cleanup(): void {
		if (this.#ticker) clearInterval(this.#ticker);
		this.#ticker = null;
		this.#transport?.close();
		this.#transport = null;
		this.#pending = [];
		stopStream(this.localStream);
		this.localStream = null;
		this.remoteStream = null;
	}

	#showRemote(): void {
		const tracks = [...(this.#transport?.consumers.values() ?? [])].map((c) => c.track);
		this.remoteStream = tracks.length ? new MediaStream(tracks) : null;
	}

	#attach(socket: ChatSocket): void {
		this.#latest = socket;
		socket.on('media:newProducer', ({ callId, producer }) => {
			if (this.role !== 'viewer' || this.live?.liveId !== callId) return;
			if (!this.#transport) this.#pending.push(producer);
			else void this.#transport.consume(producer).then(() => this.#showRemote(), () => undefined);
		});
		socket.on('media:producerClosed', ({ callId, producerId }) => {
			if (this.role !== 'viewer' || this.live?.liveId !== callId) return;
			this.#pending = this.#pending.filter((p) => p.producerId !== producerId);
			if (this.#transport?.drop(producerId)) this.#showRemote();
		});
		this.streams.attach(socket, async () => {
			const answer = await this.#chat.request('live:active', {});
			queueMicrotask(() => this.#reconnected(socket));
			return answer;
		});
	}

	/**
	 * After a reconnect: a stream gone meanwhile ends here too; a viewer watches again on the new socket
	 * (the server dropped the old socket's consumers); a streamer's stream ended with its socket.
	 */
	#reconnected(socket: ChatSocket): void {
		const live = this.live;
		if (!live || !this.busy || this.phase === 'starting') return;
		if (!this.streams.byId(live.liveId)) return this.#finish('streamer_left');
		if (this.role === 'viewer' && this.#socket && this.#socket !== socket) {
			this.#cleanup();
			const attempt = ++this.#attempt;
			this.phase = 'starting';
			this.#watch(attempt).catch((error) => attempt === this.#attempt && this.#finish('error', error));
		}
	}
}

/** `window.__parleyLive`: read-only numbers for browser tests and support; it can change nothing. */
function exposeTestHook(live: LiveClient): void {
	if (typeof window === 'undefined') return;
	const hook = Object.freeze({
		phase: () => live.phase,
		role: () => live.role,
		viewers: () => live.viewers,
		stats: () => live.stats(),
		/** The ids of the streams this page knows are live (a non-member's page knows none of theirs). */
		streams: () => Object.values(live.streams.byThread).map((l) => l.liveId)
	});
	Object.defineProperty(window, '__parleyLive', { value: hook, configurable: true, enumerable: false, writable: false });
}
