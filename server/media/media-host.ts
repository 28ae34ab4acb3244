import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { NodeRegistry } from '../balance/registry.js';
import type { MediaConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { CallMedia } from './call-media.js';
import type { Call } from './calls/call.js';
import { CallsService, type CallSignals } from './calls/calls.service.js';
import { hostHandler } from './calls/host.js';
import type { CallDirectory } from './cluster/directory.js';
import type { HostHandler } from './cluster/link.js';
import { RedisMediaNodes } from './cluster/media-nodes.js';
import { findWorkerBinary } from './worker-bin.js';
import { WorkerPool } from './workers.js';

export interface MediaHostOptions {
	/** This node's id: the calls it hosts are found under it. */
	id: string;
	config: MediaConfig;
	signals: CallSignals;
	directory: CallDirectory;
	/** Writes a call's line in its thread. */
	record(call: Call): Promise<void>;
	/** In a cluster: this node beats in the media registry, and watches the chat nodes of its participants. */
	cluster?: { redis: Redis; prefix: string; chatNodes: NodeRegistry };
	log: Logger;
}

export interface MediaHost {
	calls: CallsService;
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
 * The media role: mediasoup workers (one per core by default), one router per call, the calls' state
 * (`CallsService`), and in a cluster its entry in the media registry (beat every second with its load)
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

	const calls: CallsService = new CallsService({
		hostId: options.id,
		signals: options.signals,
		directory: options.directory,
		media: bin
			? async (call) => {
					const pool = await workers();
					const media = new CallMedia({
						router: await pool.router(),
						// Past MEDIA_WORKER_MAX_CONSUMERS on its worker, the call grows onto another (pipeToRouter).
						place: (routers, need) => pool.place(routers, need, config.workerMaxConsumers),
						listenIp: config.listenIp,
						announcedIp: config.announcedIp,
						loopback: call.loopback,
						maxVideo: config.maxVideo,
						lost: () => calls.end(call, 'media_failed'),
						notify: (userId, notice) => {
							const socketId = call.socketOf(userId);
							if (!socketId) return;
							const { event, ...rest } = notice;
							(options.signals.toSocket as (s: string, e: string, p: unknown) => void)(socketId, event, { callId: call.id, ...rest });
						},
						log: log.with({ call: call.id })
					});
					medias.add(media);
					media.router.observer.once('close', () => medias.delete(media));
					return media;
				}
			: null,
		unavailableReason: reason,
		record: options.record,
		ringTimeoutMs: config.ringTimeoutMs,
		maxParticipants: config.maxParticipants,
		log: log.child('calls')
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
	const registry = options.cluster ? new RedisMediaNodes(options.cluster.redis, options.cluster.prefix) : null;
	const tick = async () => {
		if (!registry || !options.cluster) return;
		try {
			if (bin) await registry.beat({ id: options.id, instance, draining, load: load() }, BEAT_MS * 3);
			const nodes = calls.participantNodes();
			if (nodes.size === 0) return;
			const alive = new Set((await options.cluster.chatNodes.list()).filter((n) => n.alive).map((n) => n.id));
			const gone = new Set([...nodes].filter((n) => !alive.has(n) && n !== options.id));
			if (gone.size > 0) {
				log.warn(`chat node(s) ${[...gone].join(', ')} stopped beating: their people leave their calls`);
				calls.nodesGone(gone);
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

	return {
		calls,
		handler: hostHandler(calls, () => config.iceServers.map((s) => ({ ...s, urls: typeof s.urls === 'string' ? s.urls : [...s.urls] }))),
		workers: () => (bin ? workers() : Promise.resolve(null)),
		unavailableReason: () => (bin ? undefined : reason),
		load,
		async drain(timeoutMs) {
			draining = true;
			calls.stopTaking();
			await tick();
			const until = Date.now() + timeoutMs;
			while (calls.registry.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
			if (calls.registry.size > 0) log.warn(`drain: ${calls.registry.size} call(s) still running after ${timeoutMs} ms end now`);
		},
		async close() {
			closed = true;
			if (timer) clearInterval(timer);
			try {
				await calls.close(draining ? 'media_lost' : 'media_failed');
				await registry?.remove(options.id).catch(() => undefined);
			} finally {
				pool?.close();
			}
		}
	};
}
