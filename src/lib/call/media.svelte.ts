import type { IceServer } from '$lib/protocol';
import { DeviceError, getLocalMedia, getScreen, listDevices, stopStream, type DeviceList } from './devices';
import type { RemotePeer } from './remote';
import { RemoteMedia } from './remote-media.svelte';
import { CallTransport, type CallStats, type Request } from './transport';
import type { Want } from './wants';

/**
 * The media side of one call, as runes: your microphone, camera and screen (mute, camera off, share,
 * device choice), the call's `CallTransport` (mediasoup-client), and what comes from the others, per
 * person (`remote`, a `RemoteMedia`). In a group call the camera goes out in 3 simulcast layers and the
 * screen as a video of its own; each tile asks for the layer it needs and pauses what is off screen (`want`).
 */
export class CallMedia {
	localStream = $state.raw<MediaStream | null>(null);
	/** The screen being shared from here (a group call shows it as a tile of its own). */
	screenTrack = $state.raw<MediaStreamTrack | null>(null);
	micMuted = $state(false);
	cameraOff = $state(false);
	sharingScreen = $state(false);
	devices = $state.raw<DeviceList>({ microphones: [], cameras: [] });
	microphoneId = $state<string | undefined>(undefined);
	cameraId = $state<string | undefined>(undefined);

	/** Every remote track in one stream (a 1:1 call plays and shows it whole). */
	remoteStream = $derived.by(() => {
		const tracks = this.remotes.flatMap((r) => [r.audio, r.camera?.track, r.screen?.track].filter((t): t is MediaStreamTrack => !!t));
		return tracks.length ? new MediaStream(tracks) : null;
	});
	remoteVideo = $derived(this.remotes.some((r) => r.camera || r.screen));
	remoteAudioPaused = $derived(this.remotes.some((r) => r.audioPaused));
	remoteVideoPaused = $derived(this.remotes.length > 0 && this.remotes.every((r) => (r.camera?.paused ?? true) && !r.screen));

	readonly #request: Request;
	readonly #warn: (message: string) => void;
	#transport: CallTransport | null = null;
	#opening: Promise<void> | null = null;
	#cameraTrack: MediaStreamTrack | null = null;
	#group = false;
	/** What the others send: consumed, per person, paused or not, wanted by the tiles. */
	readonly remote: RemoteMedia;

	constructor(request: Request, warn: (message: string) => void) {
		this.#request = request;
		this.#warn = warn;
		this.remote = new RemoteMedia({ request, warn, transport: () => this.#transport, group: () => this.#group });
	}

	get transport(): CallTransport | null {
		return this.#transport;
	}

	async stats(): Promise<CallStats | null> {
		return this.#transport ? this.#transport.stats() : null;
	}

	// ---- local -----------------------------------------------------------------------------------

	/** Opens the microphone (and camera): without a usable camera a video call goes on with sound, and says so. */
	async openLocal(video: boolean): Promise<void> {
		let stream: MediaStream;
		try {
			stream = await getLocalMedia({ audio: true, video, microphoneId: this.microphoneId, cameraId: this.cameraId });
		} catch (error) {
			if (!video || !(error instanceof DeviceError) || error.problem === 'denied') throw error;
			stream = await getLocalMedia({ audio: true, video: false, microphoneId: this.microphoneId });
			this.#warn(`${error.message} The call goes on without video.`);
		}
		this.#cameraTrack = stream.getVideoTracks()[0] ?? null;
		this.localStream = stream;
		void this.refreshDevices();
	}

	/** Opens the call's transports once, however many paths ask; `alive` says whether the call still wants them. */
	open(callId: string, iceServers: IceServer[], group: boolean, alive: () => boolean): Promise<void> {
		this.#group = group;
		this.#opening ??= (async () => {
			if (this.#transport) return;
			const transport = await CallTransport.open({ callId, request: this.#request, iceServers });
			if (!alive()) transport.close();
			else this.#transport = transport;
		})().finally(() => (this.#opening = null));
		return this.#opening;
	}

	async produceLocal(): Promise<void> {
		const transport = this.#transport;
		const mic = this.localStream?.getAudioTracks()[0];
		if (!transport) return;
		if (mic && !transport.producers.has('mic')) {
			await transport.produce(mic, 'mic');
			if (this.micMuted) await transport.setPaused('mic', true);
		}
		const camera = this.#group ? this.#cameraTrack : (this.screenTrack ?? this.#cameraTrack);
		if (camera && !transport.producers.has('camera')) {
			await transport.produce(camera, 'camera', { simulcast: this.#group });
			if (this.cameraOff) await transport.setPaused('camera', true);
		}
		if (this.#group && this.screenTrack && !transport.producers.has('screen')) await transport.produce(this.screenTrack, 'screen');
	}

	// ---- remote (RemoteMedia) --------------------------------------------------------------------

	get remotes(): RemotePeer[] {
		return this.remote.remotes;
	}

	/** What a tile needs of a video consumer (RemoteMedia.want). */
	want(consumerId: string, want: { visible: boolean; layer?: number }): void {
		this.remote.want(consumerId, want);
	}

	consumers(): ReturnType<RemoteMedia['consumers']> {
		return this.remote.consumers();
	}

	wants(): { consumerId: string; userId: string; asked: Want; done: Want }[] {
		return this.remote.wants();
	}

	// ---- controls --------------------------------------------------------------------------------

	async toggleMute(): Promise<void> {
		const muted = !this.micMuted;
		this.micMuted = muted;
		for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = !muted;
		await this.#transport?.setPaused('mic', muted).catch((e) => this.#warn(String(e?.message ?? e)));
	}

	async toggleCamera(): Promise<void> {
		const off = !this.cameraOff;
		this.cameraOff = off;
		if (this.#cameraTrack) this.#cameraTrack.enabled = !off;
		// In a 1:1 call the producer may be sending the screen: camera off stops that too.
		await this.#transport?.setPaused('camera', off).catch((e) => this.#warn(String(e?.message ?? e)));
	}

	get hasCamera(): boolean {
		return this.#cameraTrack !== null;
	}

	/** Shares the screen (in place of the camera in a 1:1 call, beside it in a group call); again to stop. */
	async toggleScreen(): Promise<void> {
		if (this.sharingScreen) return this.#stopScreen();
		let track: MediaStreamTrack;
		try {
			track = await getScreen();
		} catch (error) {
			return this.#warn(error instanceof Error ? error.message : String(error));
		}
		this.screenTrack = track;
		this.sharingScreen = true;
		// The browser's own "Stop sharing" button.
		track.addEventListener('ended', () => void this.#stopScreen());
		const transport = this.#transport;
		if (!transport) return;
		try {
			if (!this.#group && transport.producers.has('camera')) await transport.replaceTrack('camera', track);
			else await transport.produce(track, 'screen');
			this.#showLocal();
		} catch (error) {
			this.#warn(error instanceof Error ? error.message : String(error));
			await this.#stopScreen();
		}
	}

	async #stopScreen(): Promise<void> {
		const track = this.screenTrack;
		if (!track) return;
		this.screenTrack = null;
		this.sharingScreen = false;
		const transport = this.#transport;
		try {
			if (!this.#group && transport?.producers.get('camera')) await transport.replaceTrack('camera', this.#cameraTrack);
			const screen = transport?.producers.get('screen');
			if (transport && screen) {
				transport.producers.delete('screen');
				screen.close();
				await this.#request('media:closeProducer', { callId: transport.callId, producerId: screen.id });
			}
		} catch (error) {
			this.#warn(error instanceof Error ? error.message : String(error));
		} finally {
			track.stop();
			this.#showLocal();
		}
	}

	async switchMicrophone(deviceId: string): Promise<void> {
		try {
			const track = (await getLocalMedia({ audio: true, video: false, microphoneId: deviceId })).getAudioTracks()[0];
			track.enabled = !this.micMuted;
			await this.#transport?.replaceTrack('mic', track);
			for (const old of this.localStream?.getAudioTracks() ?? []) old.stop();
			this.microphoneId = deviceId;
			this.localStream = new MediaStream([track, ...(this.localStream?.getVideoTracks() ?? [])]);
		} catch (error) {
			this.#warn(error instanceof Error ? error.message : String(error));
		}
	}

	async switchCamera(deviceId: string): Promise<void> {
		try {
			const track = (await getLocalMedia({ audio: false, video: true, cameraId: deviceId })).getVideoTracks()[0];
			track.enabled = !this.cameraOff;
			if (this.#group || !this.sharingScreen) await this.#transport?.replaceTrack('camera', track);
			this.#cameraTrack?.stop();
			this.#cameraTrack = track;
			this.cameraId = deviceId;
			this.#showLocal();
		} catch (error) {
			this.#warn(error instanceof Error ? error.message : String(error));
		}
	}

	async refreshDevices(): Promise<void> {
		try {
			this.devices = await listDevices();
		} catch {
			// keep the last list
		}
	}

	/** The local preview: in a 1:1 call the screen takes the camera's place; in a group call it has a tile of its own. */
	#showLocal(): void {
		const video = this.#group ? this.#cameraTrack : (this.screenTrack ?? this.#cameraTrack);
		this.localStream = new MediaStream([...(this.localStream?.getAudioTracks() ?? []), ...(video ? [video] : [])]);
	}

	/** Releases everything: transports, tracks; the choices (devices) stay for the next call. */
	close(): void {
		this.#transport?.close();
		this.#transport = null;
		this.#opening = null;
		stopStream(this.localStream);
		this.#cameraTrack?.stop();
		this.screenTrack?.stop();
		this.#cameraTrack = null;
		this.screenTrack = null;
		this.remote.clear();
		this.localStream = null;
		this.sharingScreen = false;
	}

	/** Before a new call: unmuted, camera on. */
	reset(): void {
		this.micMuted = false;
		this.cameraOff = false;
	}
}
