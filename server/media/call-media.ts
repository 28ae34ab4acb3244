import type { types } from 'mediasoup';
import type { ConsumerInfo, MediaSource, ProducerInfo, TransportInfo } from '../../src/lib/protocol/index.js';
import { AppError } from '../errors.js';
import { info, ownerOf, type CallMediaOptions, type Peer } from './call-media.types.js';
import { CallRouters } from './call-routers.js';
import { ActiveSpeaker } from './call-speaker.js';

/**
 * Per peer, so one misbehaving client cannot pile up transports or consumers: enough to receive a
 * microphone, a camera and a screen from each of 49 others.
 */
const LIMITS = { transports: 4, consumers: 150 } as const;

export type { CallMediaOptions, MediaNotice } from './call-media.types.js';

/**
 * One call's media on the SFU: its router, and per peer the WebRTC transports, producers and consumers
 * that peer owns. Every id a request names is looked up among the requesting peer's own, so a peer can
 * never touch the other's. Closing the router closes everything under it.
 */
export class CallMedia {
	private readonly peers = new Map<string, Peer>();
	private closed = false;
	private readonly routes: CallRouters;
	private readonly speaker: ActiveSpeaker;

	constructor(private readonly options: CallMediaOptions) {
		this.routes = new CallRouters(options.router, options.place, options.lost, options.log);
		this.speaker = new ActiveSpeaker({
			router: options.router,
			routes: this.routes,
			peers: () => this.peers.keys(),
			count: () => this.peers.size,
			closed: () => this.closed,
			notify: options.notify
		});
		options.router.observer.once('close', () => {
			this.closed = true;
			this.peers.clear();
		});
		options.router.once('workerclose', () => options.lost());
	}

	/** The consumers of every peer: the call's load on its worker. */
	get consumers(): number {
		let n = 0;
		for (const peer of this.peers.values()) n += peer.consumers.size;
		return n;
	}

	/** The transports of every peer (tests count them to prove nothing leaks). */
	get transports(): number {
		let n = 0;
		for (const peer of this.peers.values()) n += peer.transports.size;
		return n;
	}

	get router(): types.Router {
		return this.options.router;
	}

	/** How many routers (workers) the call spans. */
	get routers(): number {
		return this.routes.size;
	}

	get rtpCapabilities(): types.RtpCapabilities {
		return this.options.router.rtpCapabilities;
	}

	/** Adds a peer (the caller at invite, the callee at accept). */
	join(userId: string): void {
		if (!this.peers.has(userId)) this.peers.set(userId, { transports: new Map(), producers: new Map(), consumers: new Map() });
	}

	async createTransport(userId: string, direction: 'send' | 'recv'): Promise<TransportInfo> {
		const peer = this.peer(userId);
		if (peer.transports.size >= LIMITS.transports) throw new AppError('conflict', `at most ${LIMITS.transports} transports per call; close one first`);
		const { listenIp, announcedIp } = this.options;
		// Placed by what it will receive: everyone else's producers (at least one, for a first joiner).
		const router = await this.routes.of(userId, Math.max(1, this.producersFor(userId).length));
		const transport = await router.createWebRtcTransport({
			listenIps: [{ ip: listenIp, announcedIp }],
			enableUdp: true,
			enableTcp: true,
			preferUdp: true,
			initialAvailableOutgoingBitrate: 1_000_000,
			appData: { userId, direction }
		});
		if (this.closed) {
			transport.close();
			throw new AppError('gone', 'the call has ended');
		}
		peer.transports.set(transport.id, transport);
		transport.observer.once('close', () => peer.transports.delete(transport.id));
		transport.on('dtlsstatechange', (state) => {
			if (state === 'failed' || state === 'closed') this.options.log.warn(`transport "${transport.id}" of user "${userId}": DTLS ${state}`);
		});
		return { id: transport.id, iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters };
	}

	async connectTransport(userId: string, transportId: string, dtlsParameters: unknown): Promise<void> {
		const transport = this.transport(userId, transportId);
		await this.mediasoup(`connecting transport "${transportId}"`, () => transport.connect({ dtlsParameters: dtlsParameters as types.DtlsParameters }));
	}

	/** New ICE parameters for a transport whose connection failed; the client restarts ICE with them. */
	async restartIce(userId: string, transportId: string): Promise<types.IceParameters> {
		const transport = this.transport(userId, transportId);
		return this.mediasoup(`restarting ICE of transport "${transportId}"`, () => transport.restartIce());
	}

	async produce(userId: string, input: { transportId: string; kind: 'audio' | 'video'; rtpParameters: unknown; source: MediaSource }): Promise<string> {
		const peer = this.peer(userId);
		const transport = this.transport(userId, input.transportId, 'send');
		for (const p of peer.producers.values()) {
			if ((p.appData as { source: MediaSource }).source === input.source) throw new AppError('conflict', `you already send "${input.source}" (producer "${p.id}"); close it or replace its track`);
		}
		const maxVideo = this.options.maxVideo ?? 16;
		if (input.source === 'camera' && this.cameras() >= maxVideo) throw new AppError('conflict', `${maxVideo} cameras are on in this call already, the most it carries; you can still talk`);
		const producer = await this.mediasoup(`producing ${input.kind} on transport "${input.transportId}"`, () =>
			transport.produce({ kind: input.kind, rtpParameters: input.rtpParameters as types.RtpParameters, appData: { userId, source: input.source } })
		);
		await this.register(userId, producer);
		return producer.id;
	}

	/**
	 * A producer made outside the peer's WebRTC transports (the RTMP ingest's PlainTransport on this
	 * call's router) joins the peer's own: the others are told of it and may consume it.
	 */
	async adopt(userId: string, producer: types.Producer, source: MediaSource): Promise<void> {
		producer.appData = { ...producer.appData, userId, source };
		await this.register(userId, producer);
	}

	private async register(userId: string, producer: types.Producer): Promise<void> {
		const peer = this.peer(userId);
		peer.producers.set(producer.id, producer);
		producer.observer.once('close', () => {
			peer.producers.delete(producer.id);
			// Everyone who was told of it hears it is gone, consuming it or not (a tile off screen); not
			// when the whole call closes, which `call:ended` says.
			if (this.closed || this.options.router.closed) return;
			for (const other of this.sources(userId)) this.options.notify(other, { event: 'media:producerClosed', producerId: producer.id });
		});
		// Who speaks matters where several talk: not in the call test, nor to a live stream's watchers.
		if (producer.kind === 'audio' && !this.options.loopback && !this.options.live) await this.speaker.observe(producer);
		for (const other of this.others(userId)) this.options.notify(other, { event: 'media:newProducer', producer: info(producer) });
		this.options.produced?.(producer);
	}

	/** Every producer of the call, whoever sends it (to pipe a live stream to another media node). */
	allProducers(): ProducerInfo[] {
		return [...this.peers.values()].flatMap((peer) => [...peer.producers.values()].map(info));
	}

	/** The other peers' producers, for a peer that joined after they started sending. */
	producersFor(userId: string): ProducerInfo[] {
		this.peer(userId);
		return this.sources(userId).flatMap((other) => [...this.peers.get(other)!.producers.values()].map(info));
	}

	async consume(userId: string, input: { transportId: string; producerId: string; rtpCapabilities: unknown }): Promise<ConsumerInfo> {
		const peer = this.peer(userId);
		const transport = this.transport(userId, input.transportId, 'recv');
		if (peer.consumers.size >= LIMITS.consumers) throw new AppError('conflict', `at most ${LIMITS.consumers} consumers per call`);
		const producer = this.sources(userId)
			.map((other) => this.peers.get(other)!.producers.get(input.producerId))
			.find(Boolean);
		if (!producer) throw new AppError('not_found', `producer "${input.producerId}" not found`);
		const rtpCapabilities = input.rtpCapabilities as types.RtpCapabilities;
		// A producer on another of the call's routers is piped to this peer's first.
		const to = this.routes.peek(userId) ?? this.options.router;
		await this.mediasoup(`piping producer "${producer.id}"`, () => this.routes.pipe(producer.id, this.routes.peek(ownerOf(producer)) ?? this.options.router, to));
		let canConsume = false;
		try {
			canConsume = to.canConsume({ producerId: producer.id, rtpCapabilities });
		} catch {
			canConsume = false;
		}
		if (!canConsume) throw new AppError('invalid_input', `your device cannot receive producer "${producer.id}" (no common codec)`, { fields: { rtpCapabilities: 'has no codec the producer sends' } });
		const consumer = await this.mediasoup(`consuming producer "${producer.id}"`, () =>
			transport.consume({ producerId: producer.id, rtpCapabilities, paused: true, appData: { userId, source: (producer.appData as { source: MediaSource }).source } })
		);
		peer.consumers.set(consumer.id, consumer);
		consumer.observer.once('close', () => peer.consumers.delete(consumer.id));
		consumer.on('producerpause', () => this.options.notify(userId, { event: 'media:producerPaused', producerId: producer.id }));
		consumer.on('producerresume', () => this.options.notify(userId, { event: 'media:producerResumed', producerId: producer.id }));
		return {
			id: consumer.id,
			producerId: producer.id,
			kind: consumer.kind,
			rtpParameters: consumer.rtpParameters,
			source: (producer.appData as { source: MediaSource }).source,
			producerPaused: consumer.producerPaused
		};
	}

	async resumeConsumer(userId: string, consumerId: string): Promise<void> {
		await this.consumer(userId, consumerId).resume();
	}

	async pauseConsumer(userId: string, consumerId: string): Promise<void> {
		await this.consumer(userId, consumerId).pause();
	}

	/** Which simulcast layer a video consumer receives (mediasoup takes the best available up to it). */
	async setPreferredLayers(userId: string, consumerId: string, layers: { spatialLayer: number; temporalLayer?: number }): Promise<void> {
		const consumer = this.consumer(userId, consumerId);
		if (consumer.kind !== 'video') throw new AppError('invalid_input', `consumer "${consumerId}" is not video`, { fields: { consumerId: 'must be a video consumer' } });
		await this.mediasoup(`setting the layers of consumer "${consumerId}"`, () => consumer.setPreferredLayers(layers));
	}

	async setProducerPaused(userId: string, producerId: string, paused: boolean): Promise<void> {
		const producer = this.producer(userId, producerId);
		await (paused ? producer.pause() : producer.resume());
	}

	closeProducer(userId: string, producerId: string): void {
		this.producer(userId, producerId).close();
	}

	/** Closes what one peer owns (its transports take their producers and consumers with them). */
	leave(userId: string): void {
		const peer = this.peers.get(userId);
		if (!peer) return;
		this.peers.delete(userId);
		for (const t of peer.transports.values()) t.close();
		this.routes.release(userId);
	}

	close(): void {
		this.closed = true;
		this.routes.close();
		this.peers.clear();
	}

	/** Server-side stats for tests and diagnostics: bytes each peer's producers received. */
	async producerStats(userId: string): Promise<Array<{ source: MediaSource; kind: string; bytes: number }>> {
		const peer = this.peer(userId);
		const out: Array<{ source: MediaSource; kind: string; bytes: number }> = [];
		for (const p of peer.producers.values()) {
			const stats = await p.getStats();
			out.push({ source: (p.appData as { source: MediaSource }).source, kind: p.kind, bytes: stats.reduce((sum, s) => sum + (s.byteCount ?? 0), 0) });
		}
		return out;
	}

	private peer(userId: string): Peer {
		const peer = this.peers.get(userId);
		if (!peer || this.closed) throw new AppError('not_found', 'you are not in this call');
		return peer;
	}

	/** Whose producers `userId` may consume: the other peer's, or (loopback) their own. */
	private sources(userId: string): string[] {
		return this.options.loopback ? [userId] : this.others(userId);
	}

	private consumer(userId: string, consumerId: string): types.Consumer {
		const consumer = this.peer(userId).consumers.get(consumerId);
		if (!consumer) throw new AppError('not_found', `consumer "${consumerId}" not found`);
		return consumer;
	}

	private cameras(): number {
		let n = 0;
		for (const peer of this.peers.values()) for (const p of peer.producers.values()) if ((p.appData as { source: MediaSource }).source === 'camera') n++;
		return n;
	}

	private others(userId: string): string[] {
		return [...this.peers.keys()].filter((id) => id !== userId);
	}

	private transport(userId: string, transportId: string, direction?: 'send' | 'recv'): types.WebRtcTransport {
		const transport = this.peer(userId).transports.get(transportId);
		if (!transport) throw new AppError('not_found', `transport "${transportId}" not found`);
		if (direction && (transport.appData as { direction: string }).direction !== direction) {
			throw new AppError('invalid_input', `transport "${transportId}" is a ${(transport.appData as { direction: string }).direction} transport`, { fields: { transportId: `must be a ${direction} transport` } });
		}
		return transport;
	}

	private producer(userId: string, producerId: string): types.Producer {
		const producer = this.peer(userId).producers.get(producerId);
		if (!producer) throw new AppError('not_found', `producer "${producerId}" not found`);
		return producer;
	}

	/** mediasoup rejects bad parameters with TypeError or its own errors: those are the client's input. */
	private async mediasoup<T>(what: string, work: () => Promise<T>): Promise<T> {
		try {
			return await work();
		} catch (error) {
			if (error instanceof AppError) throw error;
			const message = error instanceof Error ? error.message : String(error);
			if (this.closed) throw new AppError('gone', 'the call has ended');
			throw new AppError('invalid_input', `${what} failed: ${message.slice(0, 200)}`);
		}
	}
}
