import type { types } from 'mediasoup';
import type { ProducerInfo } from '../../../../src/lib/protocol/index.js';
import { AppError } from '../../../errors.js';
import type { Logger } from '../../../logger.js';
import type { CallMedia } from '../../call-media.js';
import { info } from '../../call-media.types.js';
import type { MediaLink } from '../../cluster/link.js';
import type { MediaNodes } from '../../cluster/media-nodes.js';
import type { Live, Seat } from '../live.js';
import { endOf, type PipeEnd, type PipedProducer, type RelayRequest } from './relay.wire.js';

export interface RelaySourceDeps {
	/** This media node's id. */
	self: string;
	link: () => MediaLink;
	nodes: MediaNodes;
	/** `LIVE_VIEWERS_PER_NODE`: the viewers a media node serves itself. */
	capacity: number;
	/** The viewers this node serves now: its streams' own, and those it relays for other hosts. */
	served: () => number;
	listenIp: string;
	announcedIp: string | undefined;
	log: Logger;
}

/** The host's side of one relay of one stream: the PipeTransport to it, and who watches there. */
interface Pipe {
	node: string;
	ready: Promise<types.PipeTransport>;
	/** Producer ids piped already (a producer made while the pipe opens is offered twice). */
	piped: Set<string>;
	viewers: Set<string>;
}

/**
 * A stream's host serving viewers from other media nodes (docs/ARCHITECTURE.md, "Live streams across
 * media nodes"). Past `LIVE_VIEWERS_PER_NODE` on this node, a new viewer goes to a relay of the stream
 * with room, else to the least-loaded other media node, which gets the stream over a PipeTransport
 * pair: here a pipe consumer per producer, there a producer with the same id and parameters. The relay
 * closes with its last viewer or the stream's end. Without another node, the host serves everyone.
 */
export class RelaySources {
	/** Live id → relay node → its pipe. */
	private readonly pipes = new Map<string, Map<string, Pipe>>();

	constructor(private readonly deps: RelaySourceDeps) {}

	/** The viewers of this node's streams that other nodes serve. */
	relayed(): number {
		let n = 0;
		for (const byNode of this.pipes.values()) for (const pipe of byNode.values()) n += pipe.viewers.size;
		return n;
	}

	/** The relay node serving `userId`'s watching of `liveId`; undefined when it is this node. */
	servedBy(liveId: string, userId: string): string | undefined {
		for (const pipe of this.pipes.get(liveId)?.values() ?? []) if (pipe.viewers.has(userId)) return pipe.node;
		return undefined;
	}

	/**
	 * Where a new viewer is served: this node while it has room, else a relay (told of the viewer,
	 * the stream piped there first if it is a new one). A relay that fails leaves the viewer here.
	 */
	async place(live: Live, media: CallMedia, userId: string, seat: Seat): Promise<string> {
		const { self, capacity } = this.deps;
		if (this.deps.served() < capacity) return self;
		let byNode = this.pipes.get(live.id);
		if (!byNode) this.pipes.set(live.id, (byNode = new Map()));
		let pipe = [...byNode.values()].find((p) => p.viewers.size < capacity);
		if (!pipe) {
			const node = await this.deps.nodes.pick([self, ...byNode.keys()]).catch(() => null);
			if (!node) return self;
			pipe = byNode.get(node) ?? this.open(live, media, node, byNode);
		}
		// Counted at once, so a viewer leaving meanwhile does not close the pipe under this one.
		pipe.viewers.add(userId);
		try {
			await pipe.ready;
			await this.request(pipe.node, { action: 'watch', liveId: live.id, userId, seat });
			return pipe.node;
		} catch (error) {
			this.deps.log.with({ live: live.id }).warn(`relaying to media node "${pipe.node}" failed; this node serves the viewer`, { error: String(error) });
			this.leave(live.id, userId);
			return self;
		}
	}

	/** A relayed viewer left: the relay drops them, and closes with its last one. */
	leave(liveId: string, userId: string): void {
		const byNode = this.pipes.get(liveId);
		const pipe = [...(byNode?.values() ?? [])].find((p) => p.viewers.has(userId));
		if (!byNode || !pipe) return;
		pipe.viewers.delete(userId);
		if (pipe.viewers.size > 0) return void this.tell(liveId, pipe, { action: 'leave', liveId, userId });
		byNode.delete(pipe.node);
		if (byNode.size === 0) this.pipes.delete(liveId);
		this.shut(liveId, pipe);
	}

	/** A new producer of a relayed stream: piped to each of its relays. */
	produced(liveId: string, producer: types.Producer): void {
		for (const pipe of this.pipes.get(liveId)?.values() ?? []) {
			void pipe.ready
				.then((transport) => this.pipeOut(liveId, pipe, transport, info(producer)))
				.then((piped) => (piped ? this.request(pipe.node, { action: 'produce', liveId, producers: [piped] }) : undefined))
				.catch((error) => this.deps.log.with({ live: liveId }).warn(`piping a new producer to media node "${pipe.node}" failed`, { error: String(error) }));
		}
	}

	/** The stream ended: every relay closes its copy (this side's pipes close with the stream's router). */
	end(liveId: string): void {
		const byNode = this.pipes.get(liveId);
		this.pipes.delete(liveId);
		for (const pipe of byNode?.values() ?? []) this.shut(liveId, pipe);
	}

	private open(live: Live, media: CallMedia, node: string, byNode: Map<string, Pipe>): Pipe {
		const { listenIp, announcedIp, self, log } = this.deps;
		const pipe: Pipe = { node, piped: new Set(), viewers: new Set(), ready: null as unknown as Promise<types.PipeTransport> };
		pipe.ready = (async () => {
			const transport = await media.router.createPipeTransport({ listenIp: { ip: listenIp, announcedIp }, enableSrtp: true, appData: { relay: node } });
			try {
				const producers = (await Promise.all(media.allProducers().map((p) => this.pipeOut(live.id, pipe, transport, p)))).filter((p): p is PipedProducer => p !== null);
				const remote = (await this.request(node, { action: 'open', liveId: live.id, streamerId: live.streamerId, host: self, pipe: { ...endOf(transport), id: transport.id }, producers })) as PipeEnd;
				await transport.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtp });
				log.with({ live: live.id }).info(`the stream is piped to media node "${node}" (${producers.length} producer(s))`);
				return transport;
			} catch (error) {
				transport.close();
				throw error;
			}
		})();
		pipe.ready.catch(() => {
			if (byNode.get(node) === pipe) byNode.delete(node);
		});
		byNode.set(node, pipe);
		return pipe;
	}

	/** A pipe consumer of one producer, whose pause, resume and close the relay hears of; null if piped already. */
	private async pipeOut(liveId: string, pipe: Pipe, transport: types.PipeTransport, producer: ProducerInfo): Promise<PipedProducer | null> {
		if (pipe.piped.has(producer.producerId)) return null;
		pipe.piped.add(producer.producerId);
		const consumer = await transport.consume({ producerId: producer.producerId });
		const producerId = producer.producerId;
		consumer.on('producerclose', () => this.tell(liveId, pipe, { action: 'producer', liveId, producerId, state: 'closed' }));
		consumer.on('producerpause', () => this.tell(liveId, pipe, { action: 'producer', liveId, producerId, state: 'paused' }));
		consumer.on('producerresume', () => this.tell(liveId, pipe, { action: 'producer', liveId, producerId, state: 'resumed' }));
		return { id: producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, paused: consumer.producerPaused, source: producer.source };
	}

	/** Closes this side's pipe and tells the relay to close its copy. */
	private shut(liveId: string, pipe: Pipe): void {
		void pipe.ready.then(
			(transport) => {
				transport.close();
				this.tell(liveId, pipe, { action: 'close', liveId, pipeId: transport.id });
			},
			() => undefined
		);
	}

	private tell(liveId: string, pipe: Pipe, request: RelayRequest): void {
		this.request(pipe.node, request).catch((error) => {
			if (!(error instanceof AppError && error.code === 'not_found')) this.deps.log.with({ live: liveId }).warn(`telling relay "${pipe.node}" (${request.action}) failed`, { error: String(error) });
		});
	}

	private request(node: string, input: RelayRequest): Promise<unknown> {
		return this.deps.link().request(node, { op: 'live:relay', ctx: { userId: '', socketId: '', node: this.deps.self }, input: input as unknown as Record<string, unknown> });
	}
}
