import type { Kysely } from 'kysely';
import type { ConnectedSeen } from '../devices/connected-seen.js';
import type { z } from 'zod';
import type { AckCallback, ClientToServerEvents } from '../../src/lib/protocol/index.js';
import type { Limiter } from '../auth/rate-limits.js';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { BlocksService } from './blocks/blocks.service.js';
import type { GroupsService } from './conversations/groups.service.js';
import type { ThreadsService } from './conversations/threads.service.js';
import type { FriendsService } from './friends/friends.service.js';
import type { UsersService } from './friends/users.service.js';
import type { MessageActions } from './messages/actions.service.js';
import type { MessagesService } from './messages/messages.service.js';
import type { ChatEmitter } from './node/emitter.js';
import type { FlowLimits } from './node/flow.js';
import type { ChatSocket } from './node/socket.js';
import type { PresenceStore } from './presence/presence.store.js';
import type { SearchService } from './search/search.service.js';
import type { PushService } from '../push/push.service.js';

// Types only, imported by every layer of the chat and importing none of its runtime code: the services'
// bundle (`Chat`), its limits, and what a request handler gets and returns.

/** Limits on chat traffic; every number can be overridden (tests use other ones). */
export interface ChatLimits extends FlowLimits {
	/** New messages one user may send per window, over all devices. Default 30. */
	sendsPerWindow: number;
	/** Default 10 seconds. */
	sendWindowSeconds: number;
	/** At most one `typing` relay per user and thread in this many ms. Default 2000. */
	typingIntervalMs: number;
	/**
	 * Reads (`messages:list`, `threads:list`, `threads:get`, `users:search`, `users:get`,
	 * `friends:list`, `messages:readers`, `messages:search`) one user may make per window, over all devices. Default 300: a client catching up
	 * on a long absence pages at a few per second; a script asking for pages it never reads is stopped.
	 */
	readsPerWindow: number;
	/** Default 10 seconds. */
	readWindowSeconds: number;
	/** Most people one group may hold (`GROUP_MAX_MEMBERS`). Default 256. */
	groupMaxMembers: number;
	/**
	 * Group changes (`groups:create`, `add`, `remove`, `update`, `role`) one user may make per window,
	 * over all devices: each writes a line and sends every member their view of the group. Default 20.
	 */
	groupChangesPerWindow: number;
	/** Default 10 seconds. */
	groupChangeWindowSeconds: number;
	/** `EDIT_WINDOW_MINUTES`: how long after sending a text message its sender may edit it. Default 2880 (48 h). */
	editWindowMinutes: number;
	/**
	 * `messages:search` requests one user may make per window, over all devices, besides the read
	 * point each spends: a search reads an index rather than a page. Default 30 (a search box that asks
	 * as the user types, debounced, stays well under it).
	 */
	searchesPerWindow: number;
	/** Default 10 seconds. */
	searchWindowSeconds: number;
	/**
	 * `messages:search` ranks the newest this many matches of the index, not every match, so a common
	 * word costs no more than a rare one (docs/ARCHITECTURE.md, "Search"). Default 1,051: every page a
	 * cursor can reach. Smaller only in tests.
	 */
	searchWindow: number;
	/**
	 * MySQL/MariaDB: a search whose threads hold fewer messages than this scans them with LIKE instead
	 * of asking the FULLTEXT index (docs/ARCHITECTURE.md, "Search"). Default 10,000; 0 always asks the
	 * index. Ignored on PostgreSQL and SQLite.
	 */
	searchScanBelow: number;
}

/** The chat role's services, built once per process and shared by every socket. */
export interface Chat {
	db: Kysely<Database>;
	presence: PresenceStore;
	emitter: ChatEmitter;
	users: UsersService;
	threads: ThreadsService;
	groups: GroupsService;
	friends: FriendsService;
	messages: MessagesService;
	/** Edit, delete, react, and the change feed (message actions). */
	actions: MessageActions;
	search: SearchService;
	/** Blocks and unfriending (extension). */
	blocks: BlocksService;
	/** Web Push, when set up (`ChatOptions.push`). */
	push?: PushService;
	/** The limits in force (`DEFAULT_CHAT_LIMITS` with the overrides). */
	limits: ChatLimits;
	/** The per-user read limit (`readsPerWindow`), spent by the requests marked `read` in the table. */
	reads: Limiter;
	/** Keeps connected devices' "last seen" (Settings > Devices) within a minute or two; absent without sockets here. */
	connectedSeen?: ConnectedSeen;
	/** Keeps `work` (a request, a presence announcement) in the set that `close` waits for. */
	track<T>(work: Promise<T>): Promise<T>;
	/** Waits for the work in flight, then releases the presence store. */
	close(): Promise<void>;
}

export type RequestName = keyof ClientToServerEvents;
export type RequestPayload<E extends RequestName> = Parameters<ClientToServerEvents[E]>[0];
export type AckData<E extends RequestName> = NonNullable<Parameters<ClientToServerEvents[E]>[1]> extends AckCallback<infer T> ? T : never;

/** What every handler gets. The acting user is the socket's, from its ticket: never the payload's. */
export interface HandlerContext {
	userId: string;
	sessionId: string;
	socket: ChatSocket;
	chat: Chat;
	log: Logger;
}

/** One protocol request: the schema its payload must pass, and the handler that answers it. */
export interface RequestEntry<E extends RequestName> {
	schema: z.ZodType<unknown, RequestPayload<E>>;
	/** A read (a list, get or search): spends a point of the user's read limit (`ChatLimits.readsPerWindow`). */
	read?: boolean;
	handle(ctx: HandlerContext, input: any): Promise<AckData<E>>;
}

export type RequestTable = { [E in RequestName]?: RequestEntry<E> };

/** A handler typed by its schema's output. */
export type Handler<S extends z.ZodType, R> = (ctx: HandlerContext, input: z.output<S>) => Promise<R>;
