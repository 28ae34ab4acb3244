import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { ACTION_LIMITS, GROUP_LIMITS } from '../../src/lib/protocol/index.js';
import { createLimiter } from '../auth/rate-limits.js';
import type { Database } from '../db/schema.js';
import type { KeyValueStore } from '../kv/kv.js';
import { MemoryStore } from '../kv/memory.js';
import type { Logger } from '../logger.js';
import type { Chat, ChatLimits } from './chat.types.js';
import { roomEmitter, type ChatEmitter } from './node/emitter.js';
import { DEFAULT_FLOW_LIMITS } from './node/flow.js';
import { BlocksService } from './blocks/blocks.service.js';
import { FriendsService } from './friends/friends.service.js';
import { MessageActions } from './messages/actions.service.js';
import { MessagesService } from './messages/messages.service.js';
import { MemoryPresenceStore, type PresenceStore } from './presence/presence.store.js';
import type { ChatServer } from './node/socket.js';
import { GroupsService } from './conversations/groups.service.js';
import { ThreadsService } from './conversations/threads.service.js';
import { UsersService } from './friends/users.service.js';
import { SearchService } from './search/search.service.js';
import { MYSQL_SCAN_BELOW, SEARCH_WINDOW } from './search/search.repository.js';
import { PushService, type PushDeps } from '../push/push.service.js';
import { userRoom } from './node/socket.js';
import { keepConnectedSeen } from '../devices/connected-seen.js';

export type { Chat, ChatLimits } from './chat.types.js';

export const DEFAULT_CHAT_LIMITS: ChatLimits = { sendsPerWindow: 30, sendWindowSeconds: 10, typingIntervalMs: 2000, readsPerWindow: 300, readWindowSeconds: 10, groupMaxMembers: GROUP_LIMITS.membersDefault, groupChangesPerWindow: 20, groupChangeWindowSeconds: 10, editWindowMinutes: ACTION_LIMITS.editWindowMinutesDefault, searchesPerWindow: 30, searchWindowSeconds: 10, searchWindow: SEARCH_WINDOW, searchScanBelow: MYSQL_SCAN_BELOW, ...DEFAULT_FLOW_LIMITS };

export interface ChatOptions {
	db: Kysely<Database>;
	/** The chat socket server; or, for a process without one (a media node), `emitter`. */
	io?: ChatServer;
	/** How services reach sockets when there is no `io` here (the Redis emitter). */
	emitter?: ChatEmitter;
	/** Shares the send and read limits across nodes when given; else they are counted in this process. */
	redis?: Redis;
	/** `REDIS_PREFIX` for the send and read limits' keys. Default `parley:`. */
	redisPrefix?: string;
	/** Keeps the typing throttle (Redis in a cluster, so it holds across nodes). Default: a `MemoryStore` of its own. */
	kv?: KeyValueStore;
	/** Default: `MemoryPresenceStore` (one process). */
	presence?: PresenceStore;
	/** Web Push: the VAPID keys and options (docs/ARCHITECTURE.md, Notifications). Default: no push. */
	push?: Pick<PushDeps, 'keys' | 'subject' | 'allowHttp' | 'concurrency' | 'ttlSeconds' | 'timeoutMs'>;
	/** Overrides of `DEFAULT_CHAT_LIMITS`. */
	limits?: Partial<ChatLimits>;
	log: Logger;
}

export function createChat(options: ChatOptions): Chat {
	const { db, log } = options;
	const limits = { ...DEFAULT_CHAT_LIMITS, ...options.limits };
	const presence = options.presence ?? new MemoryPresenceStore();
	const ownKv = options.kv ? null : new MemoryStore();
	const kv = options.kv ?? ownKv!;
	const emitter = options.emitter ?? roomEmitter(options.io!);
	const users = new UsersService({ db, presence, emitter });
	const threads = new ThreadsService({ db, users, log: log.child('threads') });
	const groups = new GroupsService({
		db,
		threads,
		emitter,
		maxMembers: limits.groupMaxMembers,
		changeLimiter: createLimiter({
			redis: options.redis,
			prefix: options.redisPrefix,
			name: 'group-changes',
			points: limits.groupChangesPerWindow,
			durationSeconds: limits.groupChangeWindowSeconds,
			message: `you are changing groups too fast (at most ${limits.groupChangesPerWindow} changes in ${limits.groupChangeWindowSeconds} s)`
		}),
		log: log.child('groups')
	});
	const io = options.io;
	const push = options.push
		? new PushService({
				db,
				...options.push,
				onlineAmong: (ids) => presence.onlineAmong(ids),
				// Every socket of these users on every node (through the adapter): one request per message.
				visibleAmong: io
					? async (ids) => new Set((await io.in(ids.map(userRoom)).fetchSockets()).filter((s) => !s.data.hidden).map((s) => s.data.userId))
					: undefined,
				threadFor: (userId, threadId) => threads.get(userId, threadId),
				log: log.child('push')
			})
		: undefined;
	const blocks = new BlocksService({ db, users, emitter, log: log.child('blocks') });
	const friends = new FriendsService({ db, users, threads, emitter, blocks, log: log.child('friends') });
	const sendLimiter = createLimiter({
		redis: options.redis,
		prefix: options.redisPrefix,
		name: 'chat-sends',
		points: limits.sendsPerWindow,
		durationSeconds: limits.sendWindowSeconds,
		message: `you are sending messages too fast (at most ${limits.sendsPerWindow} in ${limits.sendWindowSeconds} s)`
	});
	const actions = new MessageActions({ db, threads, emitter, limiter: sendLimiter, editWindowMinutes: limits.editWindowMinutes, log: log.child('actions') });
	const messages = new MessagesService({
		db,
		threads,
		users,
		emitter,
		sendLimiter,
		typingIntervalMs: limits.typingIntervalMs,
		stored: push ? (message, to) => push.messageStored(message, to) : undefined,
		kv,
		blocks,
		log: log.child('messages')
	});
	const search = new SearchService({
		db,
		threads,
		users,
		window: limits.searchWindow,
		mysqlScanBelow: limits.searchScanBelow,
		limiter: createLimiter({
			redis: options.redis,
			prefix: options.redisPrefix,
			name: 'chat-searches',
			points: limits.searchesPerWindow,
			durationSeconds: limits.searchWindowSeconds,
			message: `you are searching too fast (at most ${limits.searchesPerWindow} searches in ${limits.searchWindowSeconds} s)`
		})
	});
	const reads = createLimiter({
		redis: options.redis,
		prefix: options.redisPrefix,
		name: 'chat-reads',
		points: limits.readsPerWindow,
		durationSeconds: limits.readWindowSeconds,
		message: `you are reading too fast (at most ${limits.readsPerWindow} lists, gets and searches in ${limits.readWindowSeconds} s)`
	});
	const inFlight = new Set<Promise<unknown>>();
	const connectedSeen = io && keepConnectedSeen({ db, log: log.child('last-seen'), sessionIds: () => sessionsOf(io) });
	return {
		db,
		presence,
		emitter,
		users,
		threads,
		groups,
		friends,
		messages,
		actions,
		search,
		blocks,
		push,
		limits,
		reads,
		connectedSeen,
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
			connectedSeen?.stop();
			// Sockets are closed by now; what they started must finish before the database goes.
			while (inFlight.size > 0) await Promise.all(inFlight);
			await push?.idle();
			await presence.close();
			await ownKv?.close();
		}
	};
}

/** The sessions of this process's connected sockets. */
function* sessionsOf(io: ChatServer): Iterable<string> {
	for (const socket of io.of('/').sockets.values()) if (socket.data.sessionId) yield socket.data.sessionId;
}
