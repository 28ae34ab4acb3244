import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { createLimiter } from '../auth/rate-limits.js';
import type { Database } from '../db/schema.js';
import type { KeyValueStore } from '../kv/kv.js';
import { MemoryStore } from '../kv/memory.js';
import type { Logger } from '../logger.js';
import type { ChatServer } from './chat.server.js';
import { roomEmitter, type ChatEmitter } from './emitter.js';
import { FriendsService } from './friends.service.js';
import { MessagesService } from './messages.service.js';
import { MemoryPresenceStore, type PresenceStore } from './presence.store.js';
import { ThreadsService } from './threads.service.js';
import { UsersService } from './users.service.js';

/** Limits on chat traffic; every number can be overridden (tests use other ones). */
export interface ChatLimits {
	/** New messages one user may send per window, over all devices. Default 30. */
	sendsPerWindow: number;
	/** Default 10 seconds. */
	sendWindowSeconds: number;
	/** At most one `typing` relay per user and thread in this many ms. Default 2000. */
	typingIntervalMs: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = { sendsPerWindow: 30, sendWindowSeconds: 10, typingIntervalMs: 2000 };

export interface ChatOptions {
	db: Kysely<Database>;
	io: ChatServer;
	/** Shares the send limit across nodes when given; else it is counted in this process. */
	redis?: Redis;
	/** `REDIS_PREFIX` for the send limit's keys. Default `parley:`. */
	redisPrefix?: string;
	/** Keeps the typing throttle (Redis in a cluster, so it holds across nodes). Default: a `MemoryStore` of its own. */
	kv?: KeyValueStore;
	/** Default: `MemoryPresenceStore` (one process). */
	presence?: PresenceStore;
	/** Overrides of `DEFAULT_CHAT_LIMITS`. */
	limits?: Partial<ChatLimits>;
	log: Logger;
}

/** The chat role's services, built once per process and shared by every socket. */
export interface Chat {
	db: Kysely<Database>;
	presence: PresenceStore;
	emitter: ChatEmitter;
	users: UsersService;
	threads: ThreadsService;
	friends: FriendsService;
	messages: MessagesService;
	/** Keeps `work` (a request, a presence announcement) in the set that `close` waits for. */
	track<T>(work: Promise<T>): Promise<T>;
	/** Waits for the work in flight, then releases the presence store. */
	close(): Promise<void>;
}

export function createChat(options: ChatOptions): Chat {
	const { db, log } = options;
	const limits = { ...DEFAULT_CHAT_LIMITS, ...options.limits };
	const presence = options.presence ?? new MemoryPresenceStore();
	const ownKv = options.kv ? null : new MemoryStore();
	const kv = options.kv ?? ownKv!;
	const emitter = roomEmitter(options.io);
	const users = new UsersService({ db, presence, emitter });
	const threads = new ThreadsService({ db, users, log: log.child('threads') });
	const friends = new FriendsService({ db, users, threads, emitter, log: log.child('friends') });
	const messages = new MessagesService({
		db,
		threads,
		emitter,
		sendLimiter: createLimiter({
			redis: options.redis,
			prefix: options.redisPrefix,
			name: 'chat-sends',
			points: limits.sendsPerWindow,
			durationSeconds: limits.sendWindowSeconds,
			message: `you are sending messages too fast (at most ${limits.sendsPerWindow} in ${limits.sendWindowSeconds} s)`
		}),
		typingIntervalMs: limits.typingIntervalMs,
		kv,
		log: log.child('messages')
	});
	const inFlight = new Set<Promise<unknown>>();
	return {
		db,
		presence,
		emitter,
		users,
		threads,
		friends,
		messages,
		track(work) {
			const settled = work.then(
				() => undefined,
				() => undefined
			);
			inFlight.add(settled);
			void settled.then(() => inFlight.delete(settled));
			return work;
		},
		async close() {
			// Sockets are closed by now; what they started must finish before the database goes.
			while (inFlight.size > 0) await Promise.all(inFlight);
			await presence.close();
			await ownKv?.close();
		}
	};
}
