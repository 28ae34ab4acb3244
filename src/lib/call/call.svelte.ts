import type { ChatClient } from '$lib/chat/client.svelte';
import type { ChatSocket } from '$lib/chat/connection';
import type { CallEndReason, CallInfo, CallSummary, IceServer, MediaSource, ProducerInfo, UserCard } from '$lib/protocol';
import { DeviceError, getLocalMedia, getScreen, listDevices, stopStream, type DeviceList } from './devices';
import { startTone } from './ringtone';
import { CallTransport, type CallStats } from './transport';

export type CallPhase = 'idle' | 'outgoing' | 'incoming' | 'connecting' | 'active' | 'ended';

/** Why the call view shows "ended": the server's reasons, or a problem on this side. */
export type EndedReason = CallEndReason | 'connection_lost' | 'device' | 'unavailable' | 'error';

const ENDED_TEXT: Record<EndedReason, string> = {
	hangup: 'Call ended',
	cancelled: 'Call cancelled',
	declined: 'Declined',
	busy: 'Busy: they are in another call',
	no_answer: 'No answer',
	answered_elsewhere: 'Answered on another device',
	peer_left: 'The connection to them was lost',
	media_failed: 'The call failed on the server',
	media_lost: "The call's media server stopped; start the call again",
	moved: 'You joined this call on another device',
	connection_lost: 'Your connection was lost',
	device: 'Could not start your camera or microphone',
	unavailable: 'Calls are unavailable on this server',
	error: 'The call failed'
};

/** How long "ended" stays on screen before the view closes by itself. */
const ENDED_SHOWN_MS = 2500;

/**
 * One person's calls in this tab, as runes: the phase (idle, outgoing ringing, incoming, connecting,
 * active, ended with a reason), the peer, the local and remote media, mute, camera, screen share,
 * device choice and the call timer. Signaling goes over the chat client's socket; the media through
 * `CallTransport` (mediasoup-client).
 */
export class CallClient {
	phase = $state<CallPhase>('idle');
	call = $state<CallInfo | null>(null);
	/** The other person. */
	peer = $state<UserCard | null>(null);
	ended = $state<{ reason: EndedReason; text: string; summary?: CallSummary } | null>(null);
	/** A problem to show without ending the call (camera missing in a video call, screen share refused). */
	notice = $state<string | null>(null);

	/** Whether this server carries calls (from `call:config`); `reason` when it does not. */
	availability = $state<{ media: 'unknown' | 'available' | 'unavailable'; reason?: string }>({ media: 'unknown' });

	localStream = $state.raw<MediaStream | null>(null);
	remoteStream = $state.raw<MediaStream | null>(null);
	remoteVideo = $state(false);
	remoteAudioPaused = $state(false);
	remoteVideoPaused = $state(false);
	micMuted = $state(false);
	cameraOff = $state(false);
	sharingScreen = $state(false);
	devices = $state.raw<DeviceList>({ microphones: [], cameras: [] });
	microphoneId = $state<string | undefined>(undefined);
	cameraId = $state<string | undefined>(undefined);
	/** Ticks every second while a call is up, for the timer. */
	now = $state(Date.now());

	/** Seconds since the callee answered. */
	elapsed = $derived(this.call?.answeredAt && (this.phase === 'active' || this.phase === 'connecting') ? Math.max(0, Math.floor((this.now - Date.parse(this.call.answeredAt)) / 1000)) : 0);
	/** True while this tab is in or placing a call. */
	busy = $derived(this.phase !== 'idle' && this.phase !== 'ended' && this.phase !== 'incoming');

	readonly #chat: ChatClient;
	#iceServers: IceServer[] = [];
	#transport: CallTransport | null = null;
	#socket: ChatSocket | null = null;
	#stopTone: (() => void) | null = null;
	#ticker: ReturnType<typeof setInterval> | null = null;
	#endedTimer: ReturnType<typeof setTimeout> | null = null;
	#cameraTrack: MediaStreamTrack | null = null;
	#screenTrack: MediaStreamTrack | null = null;
	#unsubscribe: () => void;
	/** Producers of the peer announced before our transport was ready. */
	#pendingProducers: ProducerInfo[] = [];
	#opening: Promise<void> | null = null;

	constructor(chat: ChatClient) {
		this.#chat = chat;
		this.#unsubscribe = chat.onSocket((socket) => this.#attach(socket));
	}

	get transport(): CallTransport | null {
		return this.#transport;
	}

	/** Read-only numbers of the call's RTP streams (tests and the call-test page). */
	async stats(): Promise<CallStats | null> {
		return this.#transport ? this.#transport.stats() : null;
	}

	// ---- placing, answering, ending ------------------------------------------------------------

	/** Calls the other member of a private thread. */
	async start(threadId: string, peer: UserCard, video: boolean): Promise<void> {
		if (this.busy || this.phase === 'incoming') return;
		this.#reset();
		this.peer = peer;
		this.phase = 'outgoing';
		try {
			await this.#openLocal(video);
			const { call } = await this.#chat.request('call:invite', { threadId, video });
			this.call = call;
			if (call.state === 'ended') return this.#finish(call.endReason ?? 'error');
			this.#tone('ringback');
			// The caller sets up its media while it rings, so the call starts at once when answered.
			await this.#openTransport();
			await this.#produceLocal();
		} catch (error) {
			if (!this.#over()) this.#fail(error);
		}
	}

	async accept(): Promise<void> {
		const call = this.call;
		if (this.phase !== 'incoming' || !call) return;
		this.#stopToneNow();
		this.phase = 'connecting';
		try {
			await this.#openLocal(call.kind === 'video');
			const { call: accepted } = await this.#chat.request('call:accept', { callId: call.callId });
			this.call = accepted;
			this.#startTicker();
			await this.#openTransport();
			await this.#produceLocal();
			await this.#consumeExisting();
			if (this.phase === 'connecting') this.phase = 'active';
		} catch (error) {
			if (!this.#over()) this.#fail(error);
		}
	}

	async decline(): Promise<void> {
		const call = this.call;
		if (this.phase !== 'incoming' || !call) return;
		this.#cleanup();
		this.phase = 'idle';
		this.call = null;
		await this.#chat.request('call:decline', { callId: call.callId }).catch(() => undefined);
	}

	/** Hangs up (or cancels a call still ringing). */
	async hangup(): Promise<void> {
		const call = this.call;
		if (!call) return this.dismiss();
		this.#finish('hangup');
		await this.#chat.request('call:hangup', { callId: call.callId }).catch(() => undefined);
	}

	/** Closes the "ended" view. */
	dismiss(): void {
		if (this.phase === 'ended' || this.phase === 'idle') this.#reset();
	}

	// ---- controls --------------------------------------------------------------------------------

	async toggleMute(): Promise<void> {
		const muted = !this.micMuted;
		this.micMuted = muted;
		for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = !muted;
		await this.#transport?.setPaused('mic', muted).catch((e) => this.#warn(e));
	}

	async toggleCamera(): Promise<void> {
		if (this.call?.kind !== 'video' && !this.#cameraTrack) return;
		const off = !this.cameraOff;
		this.cameraOff = off;
		if (this.#cameraTrack) this.#cameraTrack.enabled = !off;
		// While sharing the screen the producer sends the screen: camera off stops sending it too.
		await this.#transport?.setPaused('camera', off).catch((e) => this.#warn(e));
	}

	/** Shares the screen in place of the camera (or as a video of its own in a voice call); again to stop. */
	async toggleScreen(): Promise<void> {
		if (this.sharingScreen) return this.#stopScreen();
		let track: MediaStreamTrack;
		try {
			track = await getScreen();
		} catch (error) {
			this.notice = error instanceof Error ? error.message : String(error);
			return;
		}
		this.#screenTrack = track;
		this.sharingScreen = true;
		// The browser's own "Stop sharing" button.
		track.addEventListener('ended', () => void this.#stopScreen());
		const transport = this.#transport;
		if (!transport) return;
		try {
			if (transport.producers.has('camera')) await transport.replaceTrack('camera', track);
			else await transport.produce(track, 'screen');
			this.#showLocal();
		} catch (error) {
			this.#warn(error);
			await this.#stopScreen();
		}
	}

	async switchMicrophone(deviceId: string): Promise<void> {
		try {
			const stream = await getLocalMedia({ audio: true, video: false, microphoneId: deviceId });
			const track = stream.getAudioTracks()[0];
			track.enabled = !this.micMuted;
			await this.#transport?.replaceTrack('mic', track);
			for (const old of this.localStream?.getAudioTracks() ?? []) old.stop();
			this.microphoneId = deviceId;
			this.localStream = new MediaStream([track, ...(this.localStream?.getVideoTracks() ?? [])]);
		} catch (error) {
			this.notice = error instanceof Error ? error.message : String(error);
		}
	}

	async switchCamera(deviceId: string): Promise<void> {
		try {
			const stream = await getLocalMedia({ audio: false, video: true, cameraId: deviceId });
			const track = stream.getVideoTracks()[0];
			track.enabled = !this.cameraOff;
			if (!this.sharingScreen) await this.#transport?.replaceTrack('camera', track);
			this.#cameraTrack?.stop();
			this.#cameraTrack = track;
			this.cameraId = deviceId;
			this.#showLocal();
		} catch (error) {
			this.notice = error instanceof Error ? error.message : String(error);
		}
	}

	async refreshDevices(): Promise<void> {
		try {
			this.devices = await listDevices();
		} catch {
			// keep the last list
		}
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
		// A new socket means the old one dropped: the server has ended whatever call it carried.
		if (this.#socket && this.#socket !== socket && this.phase !== 'idle' && this.phase !== 'ended') this.#finish('connection_lost');
		this.#socket = socket;
		socket.on('call:ring', ({ call, caller }) => {
			if (this.phase !== 'idle' && this.phase !== 'ended') return;
			this.#reset();
			this.call = call;
			this.peer = caller;
			this.phase = 'incoming';
			this.#tone('ring');
		});
		socket.on('call:accepted', ({ call }) => {
			if (this.call?.callId !== call.callId || this.phase !== 'outgoing') return;
			this.call = call;
			this.#stopToneNow();
			this.phase = 'connecting';
			this.#startTicker();
			void this.#consumeExisting().then(
				() => {
					if (this.phase === 'connecting') this.phase = 'active';
				},
				(error) => this.#fail(error)
			);
		});
		socket.on('call:ended', ({ callId, reason, summary }) => {
			if (this.call?.callId !== callId) return;
			if (reason === 'answered_elsewhere') {
				this.#cleanup();
				this.#reset();
				return;
			}
			this.#finish(reason, summary);
		});
		socket.on('media:newProducer', ({ callId, producer }) => {
			if (this.call?.callId !== callId) return;
			if (!this.#transport || !this.call.answeredAt) this.#pendingProducers.push(producer);
			else void this.#consume(producer).catch((e) => this.#warn(e));
		});
		socket.on('media:producerClosed', ({ callId, producerId }) => {
			if (this.call?.callId !== callId) return;
			this.#transport?.dropProducer(producerId);
			this.#showRemote();
		});
		socket.on('media:producerPaused', ({ callId, producerId }) => this.#remotePaused(callId, producerId, true));
		socket.on('media:producerResumed', ({ callId, producerId }) => this.#remotePaused(callId, producerId, false));
		void this.#chat.request('call:config', {}).then(
			(config) => {
				this.availability = { media: config.media, reason: config.reason };
				this.#iceServers = config.iceServers;
			},
			() => undefined
		);
	}

	#remotePaused(callId: string, producerId: string, paused: boolean): void {
		if (this.call?.callId !== callId) return;
		for (const c of this.#transport?.consumers.values() ?? []) {
			if (c.info.producerId !== producerId) continue;
			if (c.info.kind === 'audio') this.remoteAudioPaused = paused;
			else this.remoteVideoPaused = paused;
		}
	}

	// ---- media -----------------------------------------------------------------------------------

	async #openLocal(video: boolean): Promise<void> {
		let stream: MediaStream;
		try {
			stream = await getLocalMedia({ audio: true, video, microphoneId: this.microphoneId, cameraId: this.cameraId });
		} catch (error) {
			if (!video || !(error instanceof DeviceError) || error.problem === 'denied') throw error;
			// No usable camera: go on with the microphone, and say so.
			stream = await getLocalMedia({ audio: true, video: false, microphoneId: this.microphoneId });
			this.notice = `${error.message} The call goes on without video.`;
		}
		this.#cameraTrack = stream.getVideoTracks()[0] ?? null;
		this.localStream = stream;
		void this.refreshDevices();
	}

	/** Opens the call's transports once, however many paths ask (ringing set-up and the answer can race). */
	#openTransport(): Promise<void> {
		this.#opening ??= this.#doOpenTransport().finally(() => (this.#opening = null));
		return this.#opening;
	}

	async #doOpenTransport(): Promise<void> {
		const call = this.call;
		if (!call || this.#transport) return;
		const transport = await CallTransport.open({ callId: call.callId, request: this.#chat.request.bind(this.#chat), iceServers: this.#iceServers });
		if (this.call?.callId !== call.callId || this.phase === 'ended' || this.phase === 'idle') {
			transport.close();
			return;
		}
		this.#transport = transport;
		exposeTestHook(this);
	}

	async #produceLocal(): Promise<void> {
		const transport = this.#transport;
		const stream = this.localStream;
		if (!transport || !stream) return;
		const mic = stream.getAudioTracks()[0];
		if (mic && !transport.producers.has('mic')) {
			await transport.produce(mic, 'mic');
			if (this.micMuted) await transport.setPaused('mic', true);
		}
		const camera = this.#screenTrack ?? this.#cameraTrack;
		if (camera && !transport.producers.has('camera')) {
			await transport.produce(camera, 'camera');
			if (this.cameraOff) await transport.setPaused('camera', true);
		}
	}

	async #consumeExisting(): Promise<void> {
		const call = this.call;
		if (!call) return;
		if (!this.#transport) await this.#openTransport();
		if (!this.#transport) return;
		const { producers } = await this.#chat.request('media:producers', { callId: call.callId });
		for (const p of [...producers, ...this.#pendingProducers.splice(0)]) await this.#consume(p);
	}

	async #consume(producer: ProducerInfo): Promise<void> {
		const entry = await this.#transport?.consume(producer);
		if (!entry) return;
		if (entry.info.kind === 'audio') this.remoteAudioPaused = producer.paused;
		else this.remoteVideoPaused = producer.paused;
		this.#showRemote();
	}

	#showRemote(): void {
		const tracks = [...(this.#transport?.consumers.values() ?? [])].map((c) => c.consumer.track);
		this.remoteStream = tracks.length ? new MediaStream(tracks) : null;
		this.remoteVideo = tracks.some((t) => t.kind === 'video');
	}

	#showLocal(): void {
		const video = this.#screenTrack ?? this.#cameraTrack;
		this.localStream = new MediaStream([...(this.localStream?.getAudioTracks() ?? []), ...(video ? [video] : [])]);
	}

	async #stopScreen(): Promise<void> {
		const track = this.#screenTrack;
		if (!track) return;
		this.#screenTrack = null;
		this.sharingScreen = false;
		const transport = this.#transport;
		try {
			if (transport?.producers.get('camera')) await transport.replaceTrack('camera', this.#cameraTrack);
			const screen = transport?.producers.get('screen');
			if (screen) {
				transport!.producers.delete('screen');
				screen.close();
				await this.#chat.request('media:closeProducer', { callId: this.call!.callId, producerId: screen.id });
			}
		} catch (error) {
			this.#warn(error);
		} finally {
			track.stop();
			this.#showLocal();
		}
	}

	// ---- lifecycle -------------------------------------------------------------------------------

	#finish(reason: EndedReason, summary?: CallSummary): void {
		if (this.phase === 'ended' || this.phase === 'idle') return;
		this.#cleanup();
		this.phase = 'ended';
		this.ended = { reason, text: ENDED_TEXT[reason], summary };
		this.#endedTimer = setTimeout(() => this.dismiss(), ENDED_SHOWN_MS);
	}

	#fail(error: unknown): void {
		const call = this.call;
		const device = error instanceof DeviceError;
		const unavailable = (error as { code?: string })?.code === 'not_implemented';
		this.#finish(device ? 'device' : unavailable ? 'unavailable' : 'error');
		if (this.ended) this.ended = { ...this.ended, text: error instanceof Error && (device || unavailable) ? error.message : this.ended.text };
		if (call && call.state !== 'ended') void this.#chat.request('call:hangup', { callId: call.callId }).catch(() => undefined);
	}

	/** The call is over (or never was); read through a method so TypeScript does not narrow `phase`. */
	#over(): boolean {
		return this.phase === 'ended' || this.phase === 'idle';
	}

	#warn(error: unknown): void {
		this.notice = error instanceof Error ? error.message : String(error);
	}

	#tone(kind: 'ring' | 'ringback'): void {
		this.#stopToneNow();
		this.#stopTone = startTone(kind);
	}

	#stopToneNow(): void {
		this.#stopTone?.();
		this.#stopTone = null;
	}

	#startTicker(): void {
		this.now = Date.now();
		this.#ticker ??= setInterval(() => (this.now = Date.now()), 1000);
	}

	/** Releases the media (tracks, transports, sound, timers); keeps what the ended view shows. */
	#cleanup(): void {
		this.#stopToneNow();
		if (this.#ticker) clearInterval(this.#ticker);
		this.#ticker = null;
		this.#transport?.close();
		this.#transport = null;
		stopStream(this.localStream);
		this.#cameraTrack?.stop();
		this.#screenTrack?.stop();
		this.#cameraTrack = null;
		this.#screenTrack = null;
		this.#pendingProducers = [];
		this.localStream = null;
		this.remoteStream = null;
		this.remoteVideo = false;
		this.sharingScreen = false;
	}

	#reset(): void {
		if (this.#endedTimer) clearTimeout(this.#endedTimer);
		this.#endedTimer = null;
		this.phase = 'idle';
		this.call = null;
		this.peer = null;
		this.ended = null;
		this.notice = null;
		this.micMuted = false;
		this.cameraOff = false;
		this.remoteAudioPaused = false;
		this.remoteVideoPaused = false;
	}
}

/**
 * `window.__parleyCall`: read-only numbers for browser tests and support (the phase and the RTP stream
 * totals); it can change nothing.
 */
function exposeTestHook(client: CallClient): void {
	if (typeof window === 'undefined') return;
	const hook = Object.freeze({
		phase: () => client.phase,
		stats: () => client.stats(),
		handler: () => client.transport?.handlerName ?? null
	});
	Object.defineProperty(window, '__parleyCall', { value: hook, configurable: true, enumerable: false, writable: false });
}
