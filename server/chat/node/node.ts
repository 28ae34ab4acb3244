import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { AuthService } from '../../auth/auth.service.js';
import { NodeLease } from '../../balance/leases.service.js';
import { Membership } from '../../balance/membership.js';
import type { NodeRegistry } from '../../balance/registry.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/schema.js';
import type { KeyValueStore } from '../../kv/kv.js';
import { outageSafePublisher, watchRedis } from '../../kv/outage.js';
import type { Logger } from '../../logger.js';
import { attachChat } from './chat.server.js';
import type { Chat, ChatLimits, RequestTable } from '../chat.types.js';
import { drainSockets, type DrainReport } from './drain.js';
import { createChat, type ChatOptions } from '../index.js';
import { announce } from '../presence/presence.js';
import { RedisPresenceStore } from '../presence/presence.redis.js';
import type { ChatServer } from './socket.js';
import type { Tickets } from './tickets.js';

/** The Redis channel prefix of the socket.io adapter (and of the gateway's emitter): under `REDIS_PREFIX`. */
export const adapterKey = (redisPrefix: string) => `${redisPrefix}socket.io`;

export interface ChatNodeOptions {
	io: ChatServer;
	config: Pick<Config, 'nodeId' | 'publicUrl' | 'redisPrefix' | 'heartbeatMs' | 'groupMaxMembers' | 'editWindowMinutes' | 'sendRate'>;
	db: Kysely<Database>;
	/** With Redis, this node joins the cluster: adapter, registry, shared presence. */
	redis?: Redis;
	registry?: NodeRegistry;
	kv: KeyValueStore;
	tickets: Tickets;
	auth: AuthService;
	limits?: Partial<ChatLimits>;
	/** Web Push (keys and options); default none. */
	push?: ChatOptions['push'];
	/** More request rows (the media role's), made once the chat's services exist. Default none. */
	requests?: (chat: Chat) => Promise<RequestTable>;
	log: Logger;
}

export interface ChatNode {
	chat: Chat;
	/** This node's sockets. */
	connections(): number;
	/** Stops being handed out, refuses new sockets, asks clients to move and waits for them (up to `timeoutMs`). */
	drain(timeoutMs: number): Promise<DrainReport>;
	/** After `io.close()`: waits for the work in flight, leaves the registry, gives back the lease. */
	close(): Promise<void>;
}

/**
 * The chat role of a process. Without Redis it takes the database's single-node lease (a second chat
 * node on the same database is refused). With Redis it puts socket.io on the Redis adapter (every
 * event reaches every node), counts presence in Redis, and joins the registry that gateways pick from.
 */
export async function startChatNode(options: ChatNodeOptions): Promise<ChatNode> {
	const { io, config, db, redis, registry, log } = options;
	const cleanups: Array<() => Promise<unknown> | unknown> = [];
	let chat: Chat | undefined;
	// The work in flight (and the presence it changes) settles first; then the node leaves the
	// registry, gives back its lease and drops its Redis connections.
	const cleanUp = async () => {
		await chat?.close();
		for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((error) => log.warn('cleaning up the chat node failed', error));
	};
	try {
		if (redis) {
			const pub = redis.duplicate();
			const sub = redis.duplicate();
			watchRedis(pub, 'socket.io publisher', log);
			watchRedis(sub, 'socket.io subscriber', log);
			cleanups.push(() => pub.quit().catch(() => pub.disconnect()), () => sub.quit().catch(() => sub.disconnect()));
			io.adapter(createAdapter(outageSafePublisher(pub, 'socket.io publisher', log), sub, { key: adapterKey(config.redisPrefix) }));
		}

		let presence: RedisPresenceStore | undefined;
		const connections = () => io.of('/').sockets.size;
		const announceAll = async (userIds: string[]) => {
			if (chat) await Promise.all(userIds.map((id) => announce(chat!, id).catch((error) => log.error(`announcing the presence of user "${id}" failed`, error))));
		};
		const membership =
			redis && registry
				? new Membership({
						registry,
						nodeId: config.nodeId,
						url: config.publicUrl,
						heartbeatMs: config.heartbeatMs,
						connections,
						rejoined: async () => {
							const changed = await presence!.resync();
							await announceAll([...changed.online, ...changed.offline]);
						},
						wentOffline: announceAll,
						log: log.child('cluster')
					})
				: undefined;
		if (redis && membership) {
			presence = new RedisPresenceStore({ redis, prefix: config.redisPrefix, nodeId: config.nodeId, instance: () => membership.instance });
		}
		chat = createChat({ db, io, redis, redisPrefix: config.redisPrefix, kv: options.kv, presence, push: options.push, limits: { groupMaxMembers: config.groupMaxMembers, editWindowMinutes: config.editWindowMinutes, sendsPerWindow: config.sendRate.points, sendWindowSeconds: config.sendRate.seconds, ...options.limits }, log });

		let draining = false;
		// Registered before the ticket check, so a refused socket does not spend its ticket.
		io.use((_socket, next) => next(draining ? new Error('draining') : undefined));
		const requests = options.requests ? await options.requests(chat) : undefined;
		attachChat({ io, tickets: options.tickets, auth: options.auth, chat, log, requests });
		if (membership) {
			// One function for every socket's disconnect, not a closure per socket.
			const disconnected = () => membership.connectionsChanged();
			io.on('connection', (socket) => {
				membership.connectionsChanged(socket.data.reservation);
				socket.on('disconnect', disconnected);
			});
		}

		const lease = await NodeLease.acquire({ db, nodeId: config.nodeId, url: config.publicUrl, mode: redis ? 'cluster' : 'alone', heartbeatMs: config.heartbeatMs, log: log.child('lease') });
		cleanups.push(() => lease.release());
		if (membership) {
			await membership.join();
			cleanups.push(() => membership.leave());
		}

		const services = chat;
		return {
			chat: services,
			connections,
			async drain(timeoutMs) {
				draining = true;
				await membership?.drain().catch((error) => log.warn('marking this node draining in the registry failed', error));
				return drainSockets({ io, timeoutMs, log });
			},
			close: cleanUp
		};
	} catch (error) {
		await cleanUp();
		throw error;
	}
}
