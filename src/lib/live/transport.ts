import type { Device, types } from 'mediasoup-client';
import { loadDevice, openTransport, type Request } from '$lib/call/negotiate';
import type { MediaSource, ProducerInfo } from '$lib/protocol';

/** What the browser tests and support read of a stream's media: totals over its RTP streams. */
export interface LiveStats {
	/** The transport's connection state ('new', 'connecting', 'connected', 'failed'...). */
	state: string;
	/** `audioEnergy`: the decoded sound's total energy (`totalAudioEnergy`), rising only while it is not silent. */
	inbound: { videoFrames: number; videoBytes: number; audioBytes: number; audioEnergy: number; width?: number };
	outbound: { videoFrames: number; videoBytes: number; audioBytes: number };
}

/**
 * One stream's media with mediasoup-client: the `Device` loaded with the stream's router, and one
 * WebRTC transport, to send (the streamer) or to receive (a viewer: the server refuses a viewer's send
 * transport). A call needs both directions (`CallTransport`); a stream needs one, so this is its own.
 */
export class LiveTransport {
	readonly producers = new Map<MediaSource, types.Producer>();
	/** By producer id. */
	readonly consumers = new Map<string, types.Consumer>();
	#closed = false;
	/** Producers being consumed now: the list and an event may name the same one at once. */
	readonly #consuming = new Set<string>();

	private constructor(
		readonly liveId: string,
		private readonly request: Request,
		readonly device: Device,
		readonly transport: types.Transport
	) {}

	/**
	 * Loads the device and makes the transport. `onState` gets its connection states; a failed one asks
	 * the server for new ICE parameters, up to 3 times in a row (as calls do).
	 */
	static async open(options: { liveId: string; request: Request; direction: 'send' | 'recv'; onState?: (state: string) => void }): Promise<LiveTransport> {
		const { liveId: callId, request, direction } = options;
		const device = await loadDevice(request, callId);
		const transport = await openTransport({ device, request, callId, direction, onState: options.onState });
		return new LiveTransport(callId, request, device, transport);
	}

	/** The streamer sends `track` as `source` (the video's: camera or screen; any audio: mic). */
	async produce(track: MediaStreamTrack, source: MediaSource): Promise<types.Producer> {
		const producer = await this.transport.produce({
			track,
			appData: { source },
			stopTracks: false,
			// A screen's sound is music and speech alike: stereo, and no DTX that would cut quiet passages.
			...(track.kind === 'audio' ? { codecOptions: { opusStereo: source !== 'mic' || track.getSettings().channelCount === 2, opusDtx: false } } : {})
		});
		this.producers.set(source, producer);
		return producer;
	}

	/** A viewer receives one of the stream's producers: consumed paused on the server, resumed once here. */
	async consume(producer: ProducerInfo): Promise<types.Consumer | null> {
		const known = this.consumers.get(producer.producerId);
		if (known || this.#consuming.has(producer.producerId)) return known ?? null;
		this.#consuming.add(producer.producerId);
		try {
			const { consumer: info } = await this.request('media:consume', {
				callId: this.liveId,
				transportId: this.transport.id,
				producerId: producer.producerId,
				rtpCapabilities: this.device.recvRtpCapabilities as unknown as Record<string, unknown>
			});
			if (this.#closed) return null;
			const consumer = await this.transport.consume({ id: info.id, producerId: info.producerId, kind: info.kind, rtpParameters: info.rtpParameters as types.RtpParameters, appData: { source: info.source } });
			this.consumers.set(producer.producerId, consumer);
			await this.request('media:resumeConsumer', { callId: this.liveId, consumerId: consumer.id });
			return consumer;
		} finally {
			this.#consuming.delete(producer.producerId);
		}
	}

	/** The streamer's producer went (an RTMP publisher reconnecting): its consumer goes too. */
	drop(producerId: string): boolean {
		const consumer = this.consumers.get(producerId);
		consumer?.close();
		return this.consumers.delete(producerId);
	}

	async stats(): Promise<LiveStats> {
		const out: LiveStats = { state: this.transport.connectionState, inbound: { videoFrames: 0, videoBytes: 0, audioBytes: 0, audioEnergy: 0 }, outbound: { videoFrames: 0, videoBytes: 0, audioBytes: 0 } };
		if (this.#closed) return out;
		(await this.transport.getStats()).forEach((s) => {
			if (s.type === 'inbound-rtp' && s.kind === 'video') {
				out.inbound.videoFrames += s.framesDecoded ?? 0;
				out.inbound.videoBytes += s.bytesReceived ?? 0;
				if (s.frameWidth) out.inbound.width = s.frameWidth;
			} else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
				out.inbound.audioBytes += s.bytesReceived ?? 0;
				out.inbound.audioEnergy += s.totalAudioEnergy ?? 0;
			} else if (s.type === 'outbound-rtp' && s.kind === 'video') {
				out.outbound.videoFrames += s.framesEncoded ?? 0;
				out.outbound.videoBytes += s.bytesSent ?? 0;
			} else if (s.type === 'outbound-rtp' && s.kind === 'audio') {
				out.outbound.audioBytes += s.bytesSent ?? 0;
			}
		});
		return out;
	}

	/** Closes the transport and with it every producer and consumer (the tracks given to produce are stopped by their owner). */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.transport.close();
		this.producers.clear();
		this.consumers.clear();
	}
}
