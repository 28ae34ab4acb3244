import type { Device, types } from 'mediasoup-client';
import type { ConsumerInfo, IceServer, MediaSource, ProducerInfo } from '$lib/protocol';
import { simulcastEncodings } from './layout';
import { loadDevice, openTransport, type Request } from './negotiate';

export type { Request } from './negotiate';

/** What the stats hook and the call-test page read: totals over the call's RTP streams. */
export interface CallStats {
	inbound: {
		audio: { bytes: number; packets: number };
		video: { bytes: number; framesDecoded: number; width?: number; height?: number };
		/** Video frames decoded per sending person (a group call has several), and the width of their camera's frames now. */
		framesByUser: Record<string, number>;
		widthByUser: Record<string, number>;
	};
	/** `streams`: the video RTP streams sent (a simulcast camera sends one per layer). */
	outbound: { audio: { bytes: number; packets: number }; video: { bytes: number; framesEncoded: number; streams: number } };
	/** Which of our producers are paused, by source. */
	paused: Partial<Record<MediaSource, boolean>>;
	/** The label of the track each source sends (the screen share swaps the camera's). */
	tracks: Partial<Record<MediaSource, string>>;
}

/** A consumer of someone else's producer, and whose it is. */
export interface RemoteConsumer {
	consumer: types.Consumer;
	info: ConsumerInfo;
	userId: string;
}

/**
 * One call's media with mediasoup-client: the `Device` (its handler detected for this browser:
 * Chrome111 on current Chromium), one send and one receive WebRTC transport to the server's router, a
 * producer per source (mic, camera, screen) and a consumer per remote producer.
 */
export class CallTransport {
	readonly producers = new Map<MediaSource, types.Producer>();
	readonly consumers = new Map<string, RemoteConsumer>();
	private closed = false;
	/** Producers being consumed now: the list and an event may name the same one at once. */
	private readonly consuming = new Set<string>();

	private constructor(
		readonly callId: string,
		private readonly request: Request,
		readonly device: Device,
		readonly send: types.Transport,
		readonly recv: types.Transport
	) {}

	/** Each transport's connection state ('new', 'connecting', 'connected', 'failed'...). */
	get states(): Record<'send' | 'recv', string> {
		return { send: this.send.connectionState, recv: this.recv.connectionState };
	}

	/** Loads the device with the call's router and makes both transports. */
	static async open(options: { callId: string; request: Request; iceServers: IceServer[]; onState?: (state: string) => void }): Promise<CallTransport> {
		const { callId, request } = options;
		const device = await loadDevice(request, callId);
		const make = (direction: 'send' | 'recv') =>
			openTransport({ device, request, callId, direction, fallbackIceServers: options.iceServers, onState: (state) => options.onState?.(`${direction}:${state}`) });
		const send = await make('send');
		try {
			return new CallTransport(callId, request, device, send, await make('recv'));
		} catch (error) {
			send.close();
			throw error;
		}
	}

	get handlerName(): string {
		return this.device.handlerName;
	}

	/** Starts sending `track` as `source`; `simulcast`: in 3 layers (a camera in a group call). */
	async produce(track: MediaStreamTrack, source: MediaSource, options: { simulcast?: boolean } = {}): Promise<types.Producer> {
		const producer = await this.send.produce({
			track,
			appData: { source },
			...(options.simulcast && track.kind === 'video' ? { encodings: simulcastEncodings() } : {}),
			// The producer may swap tracks (camera to screen): it must not stop the one it was given.
			stopTracks: false,
			// Paused (muted, camera off) sends nothing at all rather than silence or black frames.
			zeroRtpOnPause: true,
			...(track.kind === 'audio' ? { codecOptions: { opusStereo: false, opusDtx: true } } : {})
		});
		this.producers.set(source, producer);
		return producer;
	}

	/** Sends another track under the same producer (screen instead of camera, another device). */
	async replaceTrack(source: MediaSource, track: MediaStreamTrack | null): Promise<void> {
		await this.producers.get(source)?.replaceTrack({ track });
	}

	/** Pauses (mute, camera off) or resumes a source, here and on the server (the peer is told). */
	async setPaused(source: MediaSource, paused: boolean): Promise<void> {
		const producer = this.producers.get(source);
		if (!producer || producer.paused === paused) return;
		if (paused) producer.pause();
		else producer.resume();
		await this.request(paused ? 'media:pauseProducer' : 'media:resumeProducer', { callId: this.callId, producerId: producer.id });
	}

	/** Receives a producer of the peer: consume (paused on the server), then resume once attached. */
	async consume(producer: ProducerInfo): Promise<RemoteConsumer | null> {
		for (const c of this.consumers.values()) if (c.info.producerId === producer.producerId) return c;
		if (this.consuming.has(producer.producerId)) return null;
		this.consuming.add(producer.producerId);
		try {
			return await this.consumeNew(producer);
		} finally {
			this.consuming.delete(producer.producerId);
		}
	}

	private async consumeNew(producer: ProducerInfo): Promise<RemoteConsumer | null> {
		const { consumer: info } = await this.request('media:consume', {
			callId: this.callId,
			transportId: this.recv.id,
			producerId: producer.producerId,
			rtpCapabilities: this.device.recvRtpCapabilities as unknown as Record<string, unknown>
		});
		if (this.closed) return null;
		const consumer = await this.recv.consume({ id: info.id, producerId: info.producerId, kind: info.kind, rtpParameters: info.rtpParameters as types.RtpParameters, appData: { source: info.source } });
		const entry = { consumer, info, userId: producer.userId };
		this.consumers.set(consumer.id, entry);
		await this.request('media:resumeConsumer', { callId: this.callId, consumerId: consumer.id });
		return entry;
	}

	/** The peer's producer is gone: drop its consumer. */
	dropProducer(producerId: string): MediaSource | null {
		for (const [id, c] of this.consumers) {
			if (c.info.producerId !== producerId) continue;
			c.consumer.close();
			this.consumers.delete(id);
			return c.info.source;
		}
		return null;
	}

	async stats(): Promise<CallStats> {
		const out: CallStats = {
			inbound: { audio: { bytes: 0, packets: 0 }, video: { bytes: 0, framesDecoded: 0 }, framesByUser: {}, widthByUser: {} },
			outbound: { audio: { bytes: 0, packets: 0 }, video: { bytes: 0, framesEncoded: 0, streams: 0 } },
			paused: {},
			tracks: {}
		};
		const [recv, send] = await Promise.all([this.recv.getStats(), this.send.getStats()]);
		recv.forEach((s) => {
			if (s.type !== 'inbound-rtp') return;
			if (s.kind === 'video') {
				out.inbound.video.bytes += s.bytesReceived ?? 0;
				out.inbound.video.framesDecoded += s.framesDecoded ?? 0;
				if (s.frameWidth) out.inbound.video.width = s.frameWidth;
				if (s.frameHeight) out.inbound.video.height = s.frameHeight;
			} else if (s.kind === 'audio') {
				out.inbound.audio.bytes += s.bytesReceived ?? 0;
				out.inbound.audio.packets += s.packetsReceived ?? 0;
			}
		});
		send.forEach((s) => {
			if (s.type !== 'outbound-rtp') return;
			if (s.kind === 'video') {
				out.outbound.video.bytes += s.bytesSent ?? 0;
				out.outbound.video.framesEncoded += s.framesEncoded ?? 0;
				if ((s.bytesSent ?? 0) > 0) out.outbound.video.streams++;
			} else if (s.kind === 'audio') {
				out.outbound.audio.bytes += s.bytesSent ?? 0;
				out.outbound.audio.packets += s.packetsSent ?? 0;
			}
		});
		for (const c of this.consumers.values()) {
			if (c.info.kind !== 'video' || c.consumer.closed) continue;
			(await c.consumer.getStats()).forEach((s) => {
				if (s.type !== 'inbound-rtp') return;
				out.inbound.framesByUser[c.userId] = (out.inbound.framesByUser[c.userId] ?? 0) + (s.framesDecoded ?? 0);
				if (c.info.source === 'camera' && s.frameWidth) out.inbound.widthByUser[c.userId] = s.frameWidth;
			});
		}
		for (const [source, p] of this.producers) {
			out.paused[source] = p.paused;
			out.tracks[source] = p.track?.label ?? '';
		}
		return out;
	}

	close(): void {
		if (this.closed) return;
		this.closed = true;
		// Closing the transports closes their producers and consumers (the tracks we own stop elsewhere).
		this.send.close();
		this.recv.close();
		this.producers.clear();
		this.consumers.clear();
	}
}
