import type { CallConfigResponse } from '../../src/lib/protocol/index.js';
import { userRoom, type ChatServer } from '../chat/chat.server.js';
import type { RequestTable } from '../chat/dispatch.js';
import type { Chat } from '../chat/index.js';
import type { MediaConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { CallMedia } from './call-media.js';
import { callRequests } from './calls.handlers.js';
import { CallsService, type CallSignals } from './calls.service.js';
import { findWorkerBinary } from './worker-bin.js';
import { WorkerPool } from './workers.js';

export interface MediaRoleOptions {
	config: MediaConfig;
	/** Whether this process runs the `media` role; without it calls are answered as unavailable. */
	enabled: boolean;
	/** The chat socket server the signaling rides on. */
	io: ChatServer;
	chat: Chat;
	log: Logger;
}

export interface MediaRole {
	/** The `call:*` and `media:*` rows for the chat socket's request table. */
	requests: RequestTable;
	calls: CallsService;
	/** The mediasoup workers (started on first use); null when calls are unavailable. */
	workers(): Promise<WorkerPool | null>;
	status(): { media: 'available' | 'unavailable'; reason?: string };
	/** Ends the calls (writing their lines), then stops the workers. */
	close(): Promise<void>;
}

/**
 * The `media` role: mediasoup workers (one per core by default), one router per call, and the call
 * signaling on the chat socket. Without a worker binary (or without the role) Parley still runs:
 * `call:config` and healthz say `media: unavailable` with the reason, and `call:invite` is refused.
 * Calls live in this process: in a cluster both people must be on the same chat node.
 */
export async function createMedia(options: MediaRoleOptions): Promise<MediaRole> {
	const { config, io, chat, log } = options;
	let reason: string | undefined;
	let bin: string | null = null;
	if (!options.enabled) reason = 'this server does not run the media role';
	else {
		const found = findWorkerBinary({ configured: config.workerBin });
		if ('error' in found) reason = found.error;
		else {
			bin = found.path;
			log.info(`calls available: mediasoup ${found.version} worker from ${found.source} (${found.path}), ports ${config.minPort}-${config.maxPort}, announced ${config.announcedIp ?? config.listenIp}`);
		}
	}
	if (reason) log.warn(`calls unavailable: ${reason}`);

	// The workers start with the first call, so a server (or a test) that never calls spends nothing on them.
	let pool: WorkerPool | null = null;
	let starting: Promise<WorkerPool> | null = null;
	let closed = false;
	const workers = (): Promise<WorkerPool> => {
		if (!bin) return Promise.reject(new Error(reason));
		starting ??= WorkerPool.start({
			bin,
			count: config.workers,
			minPort: config.minPort,
			maxPort: config.maxPort,
			log: log.child('workers')
		}).then(
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

	const signals: CallSignals = {
		toUsers(userIds, event, payload, exceptSocket) {
			if (userIds.length === 0) return;
			let to = io.to(userIds.map(userRoom));
			if (exceptSocket) to = to.except(exceptSocket);
			(to.emit as (event: string, payload: unknown) => boolean)(event, payload);
		}
	};
	const calls: CallsService = new CallsService({
		signals,
		peerOf: async (threadId, userId) => {
			const thread = await chat.threads.get(userId, threadId);
			if (thread.kind !== 'private' || !thread.peer) throw new AppError('invalid_input', `thread "${threadId}" is not a private chat; calls are 1:1`, { fields: { threadId: 'is not a private chat' } });
			const calleeView = await chat.threads.get(thread.peer.id, threadId);
			return { calleeId: thread.peer.id, caller: calleeView.peer! };
		},
		media: bin
			? async (call) =>
					new CallMedia({
						router: await (await workers()).router(),
						listenIp: config.listenIp,
						announcedIp: config.announcedIp,
						loopback: call.loopback,
						lost: () => calls.end(call, 'media_failed'),
						notify: (userId, notice) => {
							const socketId = call.socketOf(userId);
							if (!socketId) return;
							const { event, ...rest } = notice;
							(io.to(socketId).emit as (event: string, payload: unknown) => boolean)(event, { callId: call.id, ...rest });
						},
						log: log.with({ call: call.id })
					})
			: null,
		unavailableReason: reason,
		record: async (call, summary) => {
			await chat.track(chat.messages.sendCall(call.callerId, { threadId: call.threadId, callId: call.id, summary }));
		},
		ringTimeoutMs: config.ringTimeoutMs,
		log: log.child('calls')
	});

	// A socket that drops ends the calls it is in.
	io.on('connection', (socket) => socket.on('disconnect', () => calls.socketGone(socket.id)));

	const status = () => (bin ? { media: 'available' as const } : { media: 'unavailable' as const, reason });
	const callConfig = (): CallConfigResponse => ({
		...status(),
		iceServers: config.iceServers.map((s) => ({ ...s, urls: typeof s.urls === 'string' ? s.urls : [...s.urls] })),
		ringTimeoutMs: config.ringTimeoutMs
	});
	return {
		requests: callRequests({ calls, config: callConfig }),
		calls,
		workers: () => (bin ? workers() : Promise.resolve(null)),
		status,
		async close() {
			closed = true;
			try {
				await calls.close();
			} finally {
				pool?.close();
			}
		}
	};
}
