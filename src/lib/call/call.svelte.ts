import type { ChatClient } from '$lib/chat/client.svelte';
import type { ChatSocket } from '$lib/chat/connection';
import type { CallEndReason, CallInfo, CallSummary, IceServer, Thread, UserCard } from '$lib/protocol';
import { DeviceError } from './devices';
import { ENDED_SHOWN_MS, ENDED_TEXT, exposeTestHook, FAILED_REASONS, FAILED_SHOWN_MS, type EndedReason } from './ended';
import { CallMedia } from './media.svelte';
import { Ringing } from './ringtone';
import { RunningCalls } from './running.svelte';

export type CallPhase = 'idle' | 'outgoing' | 'incoming' | 'connecting' | 'active' | 'ended';
export type { EndedReason } from './ended';

/**
 * One person's calls in this tab, as runes: the signalling side. The phase (idle, outgoing ringing,
 * incoming, connecting, active, ended with a reason), the call and who is in it, the active speaker,
 * the timer, and the group calls running in your threads (`running`). The media (devices, transport,
 * what the others send) is `media`, a `CallMedia`.
 */
export class CallClient {
	phase = $state<CallPhase>('idle');
	call = $state<CallInfo | null>(null);
	/** The other person of a 1:1 call; in a group call, who rang (an incoming card). */
	peer = $state<UserCard | null>(null);
	ended = $state<{ reason: EndedReason; text: string; summary?: CallSummary } | null>(null);
	/** A problem to show without ending the call (camera missing in a video call, screen share refused). */
	notice = $state<string | null>(null);
	/** Who speaks loudest now in a group call (null: nobody). */
	activeSpeaker = $state<string | null>(null);
	/** Whether this server carries calls (from `call:config`); `reason` when it does not. */
	availability = $state<{ media: 'unknown' | 'available' | 'unavailable'; reason?: string }>({ media: 'unknown' });
	/** Ticks every second while a call is up, for the timer. */
	now = $state(Date.now());

	readonly media: CallMedia;
	readonly running = new RunningCalls();

	/** Seconds since the callee answered (since a group call started). */
	elapsed = $derived(this.call?.answeredAt && (this.phase === 'active' || this.phase === 'connecting') ? Math.max(0, Math.floor((this.now - Date.parse(this.call.answeredAt)) / 1000)) : 0);
	/** True while this tab is in or placing a call. */
	busy = $derived(this.phase !== 'idle' && this.phase !== 'ended' && this.phase !== 'incoming');
	#startingGroup = $state(false);
	/** A group call (or one being started, before the server has answered). */
	group = $derived(this.call?.group ?? this.#startingGroup);

	readonly #chat: ChatClient;
	#iceServers: IceServer[] = [];
	#ringTimeoutMs = 45_000;
	#socket: ChatSocket | null = null;
	readonly #ringing = new Ringing();
	#ticker: ReturnType<typeof setInterval> | null = null;
	#endedTimer: ReturnType<typeof setTimeout> | null = null;
	#unsubscribe: () => void;

	constructor(chat: ChatClient) {
		this.#chat = chat;
		this.media = new CallMedia(chat.request.bind(chat), (message) => (this.notice = message));
		this.#unsubscribe = chat.onSocket((socket) => this.#attach(socket));
	}

	/** The thread of the call now (a group call's title and members). */
	get thread(): Thread | undefined {
		return this.call ? this.#chat.threads[this.call.threadId] : undefined;
	}

	/** A name and picture for someone in the call: you, a member of its thread, or the peer. */
	person(userId: string): { id: string; name: string; avatarUrl: string | null } {
		if (userId === this.#chat.me.id) return { id: userId, name: 'You', avatarUrl: this.#chat.selfCard?.avatarUrl ?? null };
		const card = this.thread?.members.find((m) => m.id === userId) ?? (this.peer?.id === userId ? this.peer : undefined);
		return { id: userId, name: card?.displayName ?? 'Someone', avatarUrl: card?.avatarUrl ?? null };
	}

	get me(): string {
		return this.#chat.me.id;
	}

	// ---- placing, answering, joining, ending ------------------------------------------------------

	/** Calls the other member of a private thread. */
	async start(threadId: string, peer: UserCard, video: boolean): Promise<void> {
		if (this.busy || this.phase === 'incoming') return;
		this.#reset();
		this.peer = peer;
		this.phase = 'outgoing';
		try {
			await this.media.openLocal(video);
			const { call } = await this.#chat.request('call:invite', { threadId, video });
			this.call = call;
			if (call.state === 'ended') return this.#finish(call.endReason ?? 'error');
			this.#ringing.start('ringback');
			// The caller sets up its media while it rings, so the call starts at once when answered.
			await this.#openTransport();
			await this.media.produceLocal();
		} catch (error) {
			if (!this.#over()) this.#fail(error);
		}
	}

	/** Starts a group call in a group thread (or joins the one running there). */
	async startGroup(threadId: string, video: boolean): Promise<void> {
		if (this.busy) return;
		this.#reset();
		this.#startingGroup = true;
		await this.#enter(video, async () => (await this.#chat.request('call:invite', { threadId, video })).call);
	}

	/** Joins a group call in progress (or moves the call you are in to this device). */
	async join(call: CallInfo): Promise<void> {
		if (this.busy) return;
		if (this.phase !== 'incoming') this.#reset();
		this.call = call;
		await this.#enter(call.kind === 'video', async () => (await this.#chat.request('call:join', { callId: call.callId })).call);
	}

	/** Answers a 1:1 call; joins a group call that rings. */
	async accept(): Promise<void> {
		const call = this.call;
		if (this.phase !== 'incoming' || !call) return;
		if (call.group) return this.join(call);
		await this.#enter(call.kind === 'video', async () => (await this.#chat.request('call:accept', { callId: call.callId })).call);
	}

	async #enter(video: boolean, enter: () => Promise<CallInfo>): Promise<void> {
		this.#ringing.stop();
		this.phase = 'connecting';
		try {
			await this.media.openLocal(video);
			const call = await enter();
			this.call = call;
			this.running.put(call);
			this.#startTicker();
			await this.#openTransport();
			await this.media.produceLocal();
			await this.#consumeExisting();
		} catch (error) {
			if (!this.#over()) this.#fail(error);
		}
	}

	async decline(): Promise<void> {
		const call = this.call;
		if (this.phase !== 'incoming' || !call) return;
		this.#cleanup();
		this.#reset();
		await this.#chat.request('call:decline', { callId: call.callId }).catch(() => undefined);
	}

	/** Hangs up (cancels a call still ringing; leaves a group call). */
	async hangup(): Promise<void> {
		const call = this.call;
		if (!call) return this.dismiss();
		this.#finish(call.group ? 'left' : 'hangup');
		await this.#chat.request('call:hangup', { callId: call.callId }).catch(() => undefined);
	}

	/** Closes the "ended" view. */
	dismiss(): void {
		if (this.phase === 'ended' || this.phase === 'idle') this.#reset();
	}

	/** Leaves for good (the signed-in layout goes away). */
	destroy(): void {
		const call = this.call;
		if (call && this.busy) void this.#chat.request('call:hangup', { callId: call.callId }).catch(() => undefined);
		this.#cleanup();
		this.#unsubscribe();
	}

	// ---- socket events ---------------------------------------------------------------------------

	#attach(socket: ChatSocket): void {
		// A new socket means the old one dropped: the server has ended (or left) whatever call it carried.
		if (this.#socket && this.#socket !== socket && this.phase !== 'idle' && this.phase !== 'ended') this.#finish('connection_lost');
		this.#socket = socket;
		this.running.attach(socket, () => this.#chat.request('call:active', {}));
		socket.on('call:ring', ({ call, caller }) => {
			if (this.phase !== 'idle' && this.phase !== 'ended') return;
			this.#reset();
			this.call = call;
			this.peer = caller;
			this.phase = 'incoming';
			// A group call rings until it is joined or dismissed; giving up stops it ringing forever.
			this.#ringing.start('ring', call.group ? { ms: this.#ringTimeoutMs, then: () => this.phase === 'incoming' && this.#reset() } : undefined);
		});
		socket.on('call:accepted', ({ call }) => {
			if (this.call?.callId !== call.callId || this.phase !== 'outgoing') return;
			this.call = call;
			this.#ringing.stop();
			this.phase = 'connecting';
			this.#startTicker();
			void this.#consumeExisting().catch((error) => this.#fail(error));
		});
		socket.on('call:updated', ({ call }) => {
			if (this.call?.callId === call.callId && !this.#over()) this.call = call;
		});
		socket.on('call:ended', ({ callId, reason, summary }) => {
			if (this.call?.callId !== callId) return;
			// Not about a call you were in: answered on another device, your ringing dismissed, a group call you never joined ended.
			if (reason === 'answered_elsewhere' || (this.phase === 'incoming' && (reason === 'declined' || this.call.group))) {
				this.#cleanup();
				this.#reset();
				return;
			}
			this.#finish(reason, summary);
		});
		socket.on('media:newProducer', ({ callId, producer }) => {
			if (this.call?.callId === callId) this.media.remote.newProducer(producer);
		});
		socket.on('media:producerClosed', ({ callId, producerId }) => this.call?.callId === callId && this.media.remote.producerClosed(producerId));
		socket.on('media:producerPaused', ({ callId, producerId }) => this.call?.callId === callId && this.media.remote.producerPaused(producerId, true));
		socket.on('media:producerResumed', ({ callId, producerId }) => this.call?.callId === callId && this.media.remote.producerPaused(producerId, false));
		socket.on('media:activeSpeaker', ({ callId, userId }) => {
			if (this.call?.callId === callId) this.activeSpeaker = userId;
		});
		void this.#chat.request('call:config', {}).then(
			(config) => {
				this.availability = { media: config.media, reason: config.reason };
				this.#iceServers = config.iceServers;
				this.#ringTimeoutMs = config.ringTimeoutMs;
			},
			() => undefined
		);
	}

	// ---- media -----------------------------------------------------------------------------------

	async #openTransport(): Promise<void> {
		const call = this.call;
		if (!call) return;
		await this.media.open(call.callId, this.#iceServers, call.group, () => this.call?.callId === call.callId && !this.#over());
		if (this.media.transport) exposeTestHook(() => this.phase, this.media);
	}

	async #consumeExisting(): Promise<void> {
		const call = this.call;
		if (!call) return;
		await this.#openTransport();
		await this.media.remote.consumeExisting(call.callId);
		if (this.phase === 'connecting') this.phase = 'active';
	}

	// ---- lifecycle -------------------------------------------------------------------------------

	#finish(reason: EndedReason, summary?: CallSummary): void {
		if (this.phase === 'ended' || this.phase === 'idle') return;
		this.#cleanup();
		this.phase = 'ended';
		this.ended = { reason, text: ENDED_TEXT[reason], summary };
		this.#endedTimer = setTimeout(() => this.dismiss(), FAILED_REASONS.has(reason) ? FAILED_SHOWN_MS : ENDED_SHOWN_MS);
	}

	#fail(error: unknown): void {
		const call = this.call;
		const device = error instanceof DeviceError;
		const unavailable = (error as { code?: string })?.code === 'not_implemented';
		this.#finish(device ? 'device' : unavailable ? 'unavailable' : 'error');
		const message = error instanceof Error ? error.message : '';
		if (this.ended) this.ended = { ...this.ended, text: message && (device || unavailable || this.ended.reason === 'error') ? message : this.ended.text };
		if (call && call.state !== 'ended') void this.#chat.request('call:hangup', { callId: call.callId }).catch(() => undefined);
	}

	/** The call is over (or never was); read through a method so TypeScript does not narrow `phase`. */
	#over(): boolean {
		return this.phase === 'ended' || this.phase === 'idle';
	}

	#startTicker(): void {
		this.now = Date.now();
		this.#ticker ??= setInterval(() => (this.now = Date.now()), 1000);
	}

	/** Releases the media (tracks, transports, sound, timers); keeps what the ended view shows. */
	#cleanup(): void {
		this.#ringing.stop();
		if (this.#ticker) clearInterval(this.#ticker);
		this.#ticker = null;
		this.media.close();
		this.activeSpeaker = null;
	}

	#reset(): void {
		if (this.#endedTimer) clearTimeout(this.#endedTimer);
		this.#endedTimer = null;
		this.#ringing.stop();
		this.phase = 'idle';
		this.call = null;
		this.peer = null;
		this.#startingGroup = false;
		this.ended = null;
		this.notice = null;
		this.media.reset();
	}
}
