import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { types } from 'mediasoup';
import type { NodeRegistry } from '../balance/registry.js';
import type { MediaConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { CallMedia } from './call-media.js';
import type { Call } from './calls/call.js';
import { CallsService, type CallSignals } from './calls/calls.service.js';
import { hostHandler, mediaRequest, sendsMedia } from './calls/host.js';
import type { CallDirectory } from './cluster/directory.js';
import type { HostHandler, MediaLink } from './cluster/link.js';
import { RedisMediaNodes } from './cluster/media-nodes.js';
import { findWorkerBinary } from './worker-bin.js';
import { WorkerPool } from './workers.js';
import type { Live } from './live/live.js';
import type { LiveDirectory } from './live/live.directory.js';
import { liveHostHandler } from './live/live.host.js';
import { LiveService } from './live/live.service.js';
import { RelaySinks } from './live/relay/relay.sink.js';
import { RelaySources } from './live/relay/relay.source.js';
import type { RelayRequest } from './live/relay/relay.wire.js';

export interface MediaHostOptions {
	/** This node's id: the calls it hosts are found under it. */
	id: string;
	config: MediaConfig;
	signals: CallSignals;
	directory: CallDirectory;
	/** Writes a call's line in its thread. */
	record(call: Call): Promise<void>;
	liveDirectory: LiveDirectory;
	/** Writes a live stream's line in its thread. */
	recordLive(live: Live): Promise<void>;
	/** The members of a thread now (who may watch a live stream in it). */
	threadMembers?: (threadId: string) => Promise<string[]>;
	/**
	 * In a cluster: this node beats in the media registry, watches the chat nodes of its participants,
	 * and pipes live streams to other media nodes over `link` (made after the host, hence a function).
	 */
	cluster?: { redis: Redis; prefix: string; chatNodes: NodeRegistry; link: () => MediaLink };
	log: Logger;
}

export interface MediaHost {
	calls: CallsService;
	live: LiveService;
	/** Other nodes' live streams relayed here (tests look inside). */
	relays: RelaySinks;
	handler: HostHandler;
	/** The mediasoup workers (started on first use); null when calls are unavailable. */
	workers(): Promise<WorkerPool | null>;
	/** Why this node carries no calls; undefined when it does. */
	unavailableReason(): string | undefined;
	/** Consumers over all calls: the load the registry compares. */
	load(): number;
	/** SIGTERM: no new calls; those running go on until they end or `timeoutMs` passes (then `media_lost`). */
	drain(timeoutMs: number): Promise<void>;
	close(): Promise<void>;
}

const BEAT_MS = 1000;

/**
 * The media role: mediasoup workers (one per core by default), one router per call or live stream, the
 * calls' state (`CallsService`), the live streams' (`LiveService`), and in a cluster its entry in the media registry (beat every second with its load)
 * and a watch on the chat nodes its participants are on.
 */
export function createMediaHost(options: MediaHostOptions): MediaHost {
	const { config, log } = options;
	let reason: string | undefined;
	let bin: string | null = null;
	const found = findWorkerBinary({ configured: config.workerBin });
	if ('error' in found) reason = found.error;
	else {
		bin = found.path;
		log.info(`calls available: mediasoup ${found.version} worker from ${found.source} (${found.path}), ports ${config.minPort}-${config.maxPort}, announced ${config.announcedIp ?? config.listenIp}`);
	}
	if (reason) log.warn(`calls unavailable: ${reason}`);

	// The workers start with the first call, so a server (or a test) that never calls spends nothing on them.
	let pool: WorkerPool | null = null;
	let starting: Promise<WorkerPool> | null = null;
	let closed = false;
	const medias = new Set<CallMedia>();
	const workers = (): Promise<WorkerPool> => {
		if (!bin) return Promise.reject(new Error(reason));
		starting ??= WorkerPool.start({ bin, count: config.workers, minPort: config.minPort, maxPort: config.maxPort, log: log.child('workers') }).then(
			(started) => {
				if (closed) started.close();
				pool = started;
				return started;
			},
			(error) => {
				reason = `the mediasoup worker ${bin} did not start: ${error instanceof Error ? error.message : String(error)}`;
				bin = null;
				log.error(`calls unavailable: ${reason}`);
				throw error;
			}
		);
		return starting;
	};

	// A call's or a live stream's media: a router on a worker, growing onto others past its worker's room.
	interface Owner {
		id: string;
		loopback?: boolean;
		live?: boolean;
		socketOf(userId: string): string | null;
		lost(): void;
		produced?: (producer: types.Producer) => void;
	}
	const makeMedia = async (owner: Owner): Promise<CallMedia> => {
		const pool = await workers();
		const media = new CallMedia({
			router: await pool.router(),
			// Past MEDIA_WORKER_MAX_CONSUMERS on its worker, the call grows onto another (pipeToRouter).
			place: (routers, need) => pool.place(routers, need, config.workerMaxConsumers),
			listenIp: config.listenIp,
			announcedIp: config.announcedIp,
			loopback: owner.loopback,
			live: owner.live,
			maxVideo: config.maxVideo,
			lost: owner.lost,
			produced: owner.produced,
			notify: (userId, notice) => {
				const socketId = owner.socketOf(userId);
				if (!socketId) return;
				const { event, ...rest } = notice;
				(options.signals.toSocket as (s: string, e: string, p: unknown) => void)(socketId, event, { callId: owner.id, ...rest });
			},
			log: log.with(owner.live ? { live: owner.id } : { call: owner.id })
		});
		medias.add(media);
		media.router.observer.once('close', () => medias.delete(media));
		return media;
	};

	const calls: CallsService = new CallsService({
		hostId: options.id,
		signals: options.signals,
		directory: options.directory,
		media: bin ? (call) => makeMedia({ id: call.id, loopback: call.loopback, socketOf: (u) => call.socketOf(u), lost: () => calls.end(call, 'media_failed') }) : null,
		unavailableReason: reason,
		record: options.record,
		ringTimeoutMs: config.ringTimeoutMs,
		maxParticipants: config.maxParticipants,
		log: log.child('calls')
	});
	// In a cluster, a stream's viewers past this node's room are served by other media nodes.
	const registry = options.cluster ? new RedisMediaNodes(options.cluster.redis, options.cluster.prefix) : null;
	const relays = new RelaySinks({ media: (owner) => makeMedia({ ...owner, live: true }), listenIp: config.listenIp, announcedIp: config.announcedIp, log: log.child('relay') });
	const sources: RelaySources | null =
		options.cluster && registry
			? new RelaySources({
					self: options.id,
					link: options.cluster.link,
					nodes: registry,
					capacity: config.liveViewersPerNode,
					served: (): number => live.viewers() - (sources?.relayed() ?? 0) + relays.viewers(),
					listenIp: config.listenIp,
					announcedIp: config.announcedIp,
					log: log.child('relay')
				})
			: null;
	const live: LiveService = new LiveService({
		hostId: options.id,
		signals: options.signals,
		directory: options.liveDirectory,
		media: bin ? (l) => makeMedia({ id: l.id, live: true, socketOf: (u) => l.socketOf(u), lost: () => live.end(l, 'media_failed'), produced: (p) => sources?.produced(l.id, p) }) : null,
		relays: sources ?? undefined,
		unavailableReason: reason,
		record: options.recordLive,
		members: options.threadMembers,
		log: log.child('live')
	});
	const load = () => {
		let n = 0;
		for (const m of medias) n += m.consumers;
		return n;
	};

	// In a cluster: the registry entry, and the chat nodes of the participants.
	const instance = randomBytes(6).toString('base64url');
	let draining = false;
	let timer: NodeJS.Timeout | null = null;
	const tick = async () => {
		if (!registry || !options.cluster) return;
		try {
			if (bin) await registry.beat({ id: options.id, instance, draining, load: load() }, BEAT_MS * 3);
			const hosts = relays.hosts();
			if (hosts.size > 0) relays.hostsGone(await registry.dead([...hosts]));
			const nodes = new Set([...calls.participantNodes(), ...live.seatNodes()]);
			if (nodes.size === 0) return;
			const alive = new Set((await options.cluster.chatNodes.list()).filter((n) => n.alive).map((n) => n.id));
			const gone = new Set([...nodes].filter((n) => !alive.has(n) && n !== options.id));
			if (gone.size > 0) {
				log.warn(`chat node(s) ${[...gone].join(', ')} stopped beating: their people leave their calls`);
				calls.nodesGone(gone);
				live.nodesGone(gone);
			}
		} catch (error) {
			log.warn('the media heartbeat failed', { error: String(error) });
		}
	};
	if (registry) {
		void tick();
		timer = setInterval(() => void tick(), BEAT_MS);
		timer.unref();
	}

	const iceServers = () => config.iceServers.map((s) => ({ ...s, urls: typeof s.urls === 'string' ? s.urls : [...s.urls] }));
	const callsHandler = hostHandler(calls, iceServers);
	const liveHandler = liveHostHandler(live, iceServers);
	return {
		calls,
		live,
		relays,
		handler: async (request) => {
			const { op, ctx, input } = request;
			if (op === 'socketGone') {
				live.socketGone(input.socketId as string);
				relays.socketGone(input.socketId as string);
			}
			if (op === 'live:relay') return relays.handle(input as unknown as RelayRequest);
			// A viewer this node serves for another node's stream (the chat node sends their media:* here).
			if (op.startsWith('media:') && relays.has(input.callId as string)) return mediaRequest(relays.mediaOf(ctx, input.callId as string, sendsMedia(request)), request, iceServers);
			return liveHandler.owns(request) ? liveHandler.handle(request) : callsHandler(request);
		},
		workers: () => (bin ? workers() : Promise.resolve(null)),
		unavailableReason: () => (bin ? undefined : reason),
		load,
		async drain(timeoutMs) {
			draining = true;
			calls.stopTaking();
			live.stopTaking();
			await tick();
			const until = Date.now() + timeoutMs;
			while (calls.registry.size + live.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
			if (calls.registry.size + live.size > 0) log.warn(`drain: ${calls.registry.size} call(s) and ${live.size} live stream(s) still running after ${timeoutMs} ms end now`);
		},
		async close() {
			closed = true;
			if (timer) clearInterval(timer);
			try {
				await Promise.all([calls.close(draining ? 'media_lost' : 'media_failed'), live.close(draining ? 'media_lost' : 'media_failed')]);
				relays.closeAll();
				await registry?.remove(options.id).catch(() => undefined);
			} finally {
				pool?.close();
			}
		}
	};
}
