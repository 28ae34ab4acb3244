import type { types } from 'mediasoup';
import { AppError } from '../../../errors.js';
import type { Logger } from '../../../logger.js';
import type { CallMedia } from '../../call-media.js';
import type { CallContext } from '../../calls/calls.service.js';
import type { Seat } from '../live.js';
import { endOf, type PipedProducer, type RelayRequest } from './relay.wire.js';

export interface RelaySinkDeps {
	/** Makes the relayed stream's media on this node (a router on a worker, as for a stream hosted here). */
	media(owner: { id: string; socketOf(userId: string): string | null; lost(): void }): Promise<CallMedia>;
	listenIp: string;
	announcedIp: string | undefined;
	log: Logger;
}

/** One stream relayed here: its media (the streamer a peer whose producers come through the pipe), and who watches. */
interface Sink {
	liveId: string;
	streamerId: string;
	/** The media node hosting the stream. */
	host: string;
	/** The host's PipeTransport this copy comes from. */
	pipeId: string;
	media: CallMedia;
	transport: types.PipeTransport;
	producers: Map<string, types.Producer>;
	viewers: Map<string, Seat>;
}

/**
 * The live streams this media node relays for their hosts (docs/ARCHITECTURE.md, "Live streams across
 * media nodes"). The host decides everything (who watches here, when the relay closes) and says so with
 * `live:relay` requests; this side re-creates the stream's producers from a PipeTransport and serves
 * the viewers' `media:*` requests on them, as the host would, a viewer never sending.
 */
export class RelaySinks {
	private readonly sinks = new Map<string, Sink>();

	constructor(private readonly deps: RelaySinkDeps) {}

	has(liveId: string): boolean {
		return this.sinks.has(liveId);
	}

	/** The viewers this node serves for other nodes' streams. */
	viewers(): number {
		let n = 0;
		for (const sink of this.sinks.values()) n += sink.viewers.size;
		return n;
	}

	/** The media nodes hosting what is relayed here (watched for death). */
	hosts(): Set<string> {
		return new Set([...this.sinks.values()].map((s) => s.host));
	}

	/** Hosts whose heartbeat stopped: their streams ended with them (the chat nodes tell the viewers). */
	hostsGone(hosts: ReadonlySet<string>): void {
		for (const sink of [...this.sinks.values()]) if (hosts.has(sink.host)) this.close(sink.liveId, `its host "${sink.host}" is gone`);
	}

	async handle(request: RelayRequest): Promise<unknown> {
		if (request.action === 'open') return this.open(request);
		const sink = this.sinks.get(request.liveId);
		if (!sink) throw new AppError('not_found', `live stream "${request.liveId}" is not relayed here`);
		switch (request.action) {
			case 'produce':
				await this.produce(sink, request.producers);
				break;
			case 'producer': {
				const producer = sink.producers.get(request.producerId);
				if (request.state === 'closed') producer?.close();
				else if (request.state === 'paused') await producer?.pause();
				else await producer?.resume();
				break;
			}
			case 'watch':
				if (sink.viewers.get(request.userId)?.socketId !== request.seat.socketId) sink.media.leave(request.userId);
				sink.viewers.set(request.userId, request.seat);
				sink.media.join(request.userId);
				break;
			case 'leave':
				sink.viewers.delete(request.userId);
				sink.media.leave(request.userId);
				break;
			case 'close':
				if (request.pipeId === sink.pipeId) this.close(request.liveId, 'the host closed it');
				break;
		}
		return {};
	}

	/** The relayed stream's media for a viewer on the socket they watch on; a viewer may not send. */
	mediaOf(ctx: CallContext, liveId: string, sends: boolean): CallMedia {
		const sink = this.sinks.get(liveId);
		const seat = sink?.viewers.get(ctx.userId);
		if (!sink || !seat) throw new AppError('not_found', `live stream "${liveId}" not found`);
		if (sends) throw new AppError('forbidden', 'viewers of a live stream do not send media');
		if (seat.socketId !== ctx.socketId) throw new AppError('conflict', `stream "${liveId}" is on your other device`);
		return sink.media;
	}

	/** A socket went away (its chat node died): it watches no more here. */
	socketGone(socketId: string): void {
		for (const sink of this.sinks.values()) {
			for (const [userId, seat] of sink.viewers) {
				if (seat.socketId !== socketId) continue;
				sink.viewers.delete(userId);
				sink.media.leave(userId);
			}
		}
	}

	close(liveId: string, why: string): void {
		const sink = this.sinks.get(liveId);
		if (!sink) return;
		this.sinks.delete(liveId);
		sink.media.close();
		this.deps.log.with({ live: liveId }).info(`relay closed: ${why}`);
	}

	closeAll(): void {
		for (const liveId of [...this.sinks.keys()]) this.close(liveId, 'this node stops');
	}

	/** The host's end of the pipe is ready: make ours, connect it there, and re-create the producers. */
	private async open(request: Extract<RelayRequest, { action: 'open' }>): Promise<unknown> {
		this.close(request.liveId, 'its host opened it again');
		const { listenIp, announcedIp, log } = this.deps;
		const viewers = new Map<string, Seat>();
		const media = await this.deps.media({ id: request.liveId, socketOf: (userId) => viewers.get(userId)?.socketId ?? null, lost: () => this.close(request.liveId, 'its worker died') });
		try {
			media.join(request.streamerId);
			const transport = await media.router.createPipeTransport({ listenIp: { ip: listenIp, announcedIp }, enableSrtp: true });
			await transport.connect({ ip: request.pipe.ip, port: request.pipe.port, srtpParameters: request.pipe.srtp });
			const sink: Sink = { liveId: request.liveId, streamerId: request.streamerId, host: request.host, pipeId: request.pipe.id, media, transport, producers: new Map(), viewers };
			this.sinks.set(request.liveId, sink);
			await this.produce(sink, request.producers);
			log.with({ live: request.liveId }).info(`relaying the stream of media node "${request.host}" (${request.producers.length} producer(s))`);
			return endOf(transport);
		} catch (error) {
			this.sinks.delete(request.liveId);
			media.close();
			throw error;
		}
	}

	/** The stream's producers, as they come out of the host's pipe consumers: same ids, same parameters. */
	private async produce(sink: Sink, producers: PipedProducer[]): Promise<void> {
		for (const p of producers) {
			if (sink.producers.has(p.id)) continue;
			const producer = await sink.transport.produce({ id: p.id, kind: p.kind, rtpParameters: p.rtpParameters, paused: p.paused });
			sink.producers.set(p.id, producer);
			producer.observer.once('close', () => sink.producers.delete(p.id));
			// The streamer's peer owns it: viewers here are told (`media:newProducer`) and may consume it.
			await sink.media.adopt(sink.streamerId, producer, p.source);
		}
	}
}
