import type { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import { CALL_LIMITS, type CallConfigResponse } from '../../src/lib/protocol/index.js';
import type { NodeRegistry } from '../balance/registry.js';
import type { Chat, RequestTable } from '../chat/chat.types.js';
import { userRoom, type ChatServer } from '../chat/node/socket.js';
import type { Config } from '../config.js';
import type { KeyValueStore } from '../kv/kv.js';
import * as threadsRepo from '../chat/conversations/threads.repository.js';
import type { Logger } from '../logger.js';
import type { CallSignals, CallsService } from './calls/calls.service.js';
import type { LiveService } from './live/live.service.js';
import { CallDirectory } from './cluster/directory.js';
import { localLink, RedisLink, type MediaLink } from './cluster/link.js';
import { localMediaNodes, RedisMediaNodes, type MediaNodes } from './cluster/media-nodes.js';
import { CallsFront } from './front/calls.front.js';
import { callRequests } from './front/calls.handlers.js';
import { liveIngest, type LiveIngest } from './live/ingest.js';
import { LiveDirectory } from './live/live.directory.js';
import { LiveFront } from './live/live.front.js';
import { liveRequests } from './live/live.handlers.js';
import { createMediaHost, type MediaHost } from './media-host.js';
import type { WorkerPool } from './workers.js';

export interface MediaRoleOptions {
	config: Config;
	/** The chat socket server (the chat role in this process): calls' requests arrive on it. */
	io: ChatServer | null;
	/** The chat services: threads for who may call, messages for the call lines. */
	chat: Chat;
	kv: KeyValueStore;
	/** In a cluster: the link between chat and media nodes, the media registry, the chat nodes' registry. */
	cluster?: { redis: Redis; chatNodes: NodeRegistry; emitter: Emitter };
	log: Logger;
}

export interface MediaRole {
	/** The `call:*` and `media:*` rows for the chat socket's request table; null without the chat role. */
	requests: RequestTable | null;
	/** This process's calls (the media role); null without it. */
	calls: CallsService | null;
	/** For the RTMP ingest: starts RTMP streams on this media node; null without the media role. */
	live: LiveIngest | null;
	/** This process's live streams (the media role; tests look inside); null without it. */
	liveStreams: LiveService | null;
	/** The mediasoup workers (started on first use); null when this process carries no calls. */
	workers(): Promise<WorkerPool | null>;
	status(): Promise<{ media: 'available' | 'unavailable'; reason?: string }>;
	/** Socket ids of this chat node that dropped (their calls are told). */
	socketGone(socketId: string): void;
	/** SIGTERM on a media node: no new calls; those running finish up to `timeoutMs`. */
	drain(timeoutMs: number): Promise<void>;
	/** Ends the calls hosted here (writing their lines), then stops the workers and the link. */
	close(): Promise<void>;
}

/**
 * Calls in this process: the media role (`MediaHost`: workers, routers, the calls' state) when the
 * config names it, and the chat role's side (`CallsFront`: checks, then passes every request to the
 * media node of the call) when there is a chat socket. In one process both talk directly; in a cluster
 * through Redis (request/reply on pub/sub, the media registry, the call directory in the shared store).
 */
export function createMedia(options: MediaRoleOptions): MediaRole {
	const { config, io, chat, cluster, log } = options;
	const carries = config.roles.includes('media');
	const directory = new CallDirectory(options.kv);
	const liveDirectory = new LiveDirectory(options.kv);
	const signals = io ? ioSignals(io) : cluster ? emitterSignals(cluster.emitter) : null;
	if (!signals) throw new Error('the media role needs the chat role in one process, or REDIS_URL in a cluster');

	let host: MediaHost | null = null;
	if (carries) {
		host = createMediaHost({
			id: config.nodeId,
			config: config.media,
			signals,
			directory,
			record: async (call) => {
				await chat.track(chat.messages.sendCall(call.callerId, { threadId: call.threadId, callId: call.id, summary: call.summary() }));
			},
			liveDirectory,
			threadMembers: (threadId) => threadsRepo.memberIdsOf(chat.db, threadId),
			recordLive: async (live) => {
				await chat.track(chat.messages.sendLive(live.streamerId, { threadId: live.threadId, liveId: live.id, summary: live.summary() }));
			},
			cluster: cluster ? { redis: cluster.redis, prefix: config.redisPrefix, chatNodes: cluster.chatNodes, link: () => link } : undefined,
			log
		});
	}
	const hosting = () => host !== null && host.unavailableReason() === undefined && host.calls.available;
	const link: MediaLink = cluster
		? new RedisLink({ redis: cluster.redis, prefix: config.redisPrefix, self: config.nodeId, handler: host?.handler ?? null, timeoutMs: config.media.rpcTimeoutMs, log: log.child('link') })
		: localLink(config.nodeId, host?.handler ?? null);
	const nodes: MediaNodes = cluster ? new RedisMediaNodes(cluster.redis, config.redisPrefix) : localMediaNodes(config.nodeId, hosting);

	let front: CallsFront | null = null;
	let liveFront: LiveFront | null = null;
	if (io) {
		const lives = new LiveFront({ self: config.nodeId, chat, link, nodes, directory: liveDirectory, signals, log: log.child('live') });
		front = new CallsFront({ self: config.nodeId, chat, link, nodes, directory, signals, liveHost: (socketId, liveId) => lives.hostOf(socketId, liveId), log: log.child('calls') });
		if (cluster) {
			front.watch();
			lives.watchHosts();
		}
		const calls = front;
		liveFront = lives;
		io.on('connection', (socket) =>
			socket.on('disconnect', () => {
				calls.socketGone(socket.id);
				lives.socketGone(socket.id);
			})
		);
	}

	const status = async (): Promise<{ media: 'available' | 'unavailable'; reason?: string }> => {
		if (hosting()) return { media: 'available' };
		if (cluster && front && (await front.available())) return { media: 'available' };
		if (!carries && !cluster) return { media: 'unavailable', reason: 'this server does not run the media role' };
		return { media: 'unavailable', reason: host?.unavailableReason() ?? 'no media node is running' };
	};
	const callConfig = async (): Promise<CallConfigResponse> => ({
		...(await status()),
		iceServers: config.media.iceServers.map((s) => ({ ...s, urls: typeof s.urls === 'string' ? s.urls : [...s.urls] })),
		ringTimeoutMs: config.media.ringTimeoutMs,
		maxVideo: config.media.maxVideo ?? CALL_LIMITS.maxVideoDefault,
		maxParticipants: config.media.maxParticipants ?? CALL_LIMITS.maxParticipantsDefault
	});

	return {
		requests: front && liveFront ? { ...callRequests({ front, config: callConfig }), ...liveRequests(liveFront) } : null,
		calls: host?.calls ?? null,
		live: carries ? liveIngest(chat, host?.live ?? null, () => host?.unavailableReason()) : null,
		liveStreams: host?.live ?? null,
		workers: () => host?.workers() ?? Promise.resolve(null),
		status,
		socketGone: (socketId) => {
			front?.socketGone(socketId);
			liveFront?.socketGone(socketId);
		},
		drain: async (timeoutMs) => host?.drain(timeoutMs),
		async close() {
			front?.stop();
			liveFront?.stop();
			try {
				await host?.close();
			} finally {
				await link.close();
			}
		}
	};
}

function ioSignals(io: ChatServer): CallSignals {
	type Emit = (event: string, payload: unknown) => boolean;
	return {
		toUsers(userIds, event, payload, exceptSocket) {
			if (userIds.length === 0) return;
			let to = io.to(userIds.map(userRoom));
			if (exceptSocket) to = to.except(exceptSocket);
			(to.emit as Emit)(event, payload);
		},
		toSocket(socketId, event, payload) {
			(io.to(socketId).emit as Emit)(event, payload);
		}
	};
}

/** A media node without the chat role reaches sockets through the chat nodes' Redis adapter. */
function emitterSignals(emitter: Emitter): CallSignals {
	type Emit = (event: string, payload: unknown) => true;
	return {
		toUsers(userIds, event, payload, exceptSocket) {
			if (userIds.length === 0) return;
			let to = emitter.to(userIds.map(userRoom));
			if (exceptSocket) to = to.except(exceptSocket);
			(to.emit as Emit)(event, payload);
		},
		toSocket(socketId, event, payload) {
			(emitter.to(socketId).emit as Emit)(event, payload);
		}
	};
}
