import type { Server, Socket } from 'socket.io';
import {
	emptyRequest,
	friendsCancelRequest,
	friendsRequestRequest,
	friendsRespondRequest,
	messagesListRequest,
	messagesReceiptRequest,
	messagesSendRequest,
	threadsGetRequest,
	threadsListRequest,
	threadsOpenRequest,
	typingRequest,
	usersGetRequest,
	usersSearchRequest,
	type ClientToServerEvents,
	type ServerToClientEvents,
	type SessionEndReason
} from '../../src/lib/protocol/index.js';
import type { AuthService } from '../auth/auth.service.js';
import type { Logger } from '../logger.js';
import { dispatch, unknownRequest, type HandlerContext, type RequestEntry, type RequestName, type RequestTable } from './dispatch.js';
import { cancelFriendRequest, getUsers, listFriends, requestFriend, respondToFriend, searchUsers } from './friends.handlers.js';
import type { Chat } from './index.js';
import { listMessages, markDelivered, markRead, sendMessage, typing } from './messages.handlers.js';
import { trackPresence, whoami } from './presence.js';
import { getThread, listThreads, openThread } from './threads.handlers.js';
import type { Tickets } from './tickets.js';

export interface SocketData {
	userId: string;
	sessionId: string;
	/** In a cluster: the connection the balancer reserved for this socket's ticket. */
	reservation?: { node: string; id: string };
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/** Every request of PROTOCOL.md section 2 and its extensions: event name to schema and handler. */
const REQUESTS: RequestTable = {
	'session:whoami': { schema: emptyRequest, handle: whoami },
	'users:search': { schema: usersSearchRequest, handle: searchUsers },
	'users:get': { schema: usersGetRequest, handle: getUsers },
	'friends:request': { schema: friendsRequestRequest, handle: requestFriend },
	'friends:respond': { schema: friendsRespondRequest, handle: respondToFriend },
	'friends:cancel': { schema: friendsCancelRequest, handle: cancelFriendRequest },
	'friends:list': { schema: emptyRequest, handle: listFriends },
	'threads:open': { schema: threadsOpenRequest, handle: openThread },
	'threads:get': { schema: threadsGetRequest, handle: getThread },
	'threads:list': { schema: threadsListRequest, handle: listThreads },
	'messages:list': { schema: messagesListRequest, handle: listMessages },
	'messages:send': { schema: messagesSendRequest, handle: sendMessage },
	'messages:read': { schema: messagesReceiptRequest, handle: markRead },
	'messages:delivered': { schema: messagesReceiptRequest, handle: markDelivered },
	typing: { schema: typingRequest, handle: typing }
};

/**
 * The chat node's edge: every socket proves itself with a single-use ticket, and joins the rooms of
 * its user (all their devices) and of its session (so a logout reaches exactly that session). Its
 * requests are answered from the `REQUESTS` table.
 */
export function attachChat(options: { io: ChatServer; tickets: Tickets; auth: AuthService; chat: Chat; log: Logger; requests?: RequestTable }): void {
	const { io, tickets, auth, chat, log } = options;
	// Other roles' rows (the media role's `call:*` and `media:*`) beside the chat's own.
	const requests: RequestTable = { ...REQUESTS, ...options.requests };

	io.use(async (socket, next) => {
		try {
			const ticket = (socket.handshake.auth as { ticket?: unknown } | undefined)?.ticket;
			const claims = typeof ticket === 'string' ? await tickets.redeem(ticket) : null;
			// A session that ended between ticket and connect gets nothing.
			if (!claims || !(await auth.sessionIsLive(claims.sessionId))) return next(new Error('unauthorized'));
			socket.data.userId = claims.userId;
			socket.data.sessionId = claims.sessionId;
			if (claims.node && claims.reservation) socket.data.reservation = { node: claims.node, id: claims.reservation };
			next();
		} catch (error) {
			log.error('handshake failed', error);
			next(new Error('unavailable'));
		}
	});

	io.on('connection', (socket) => {
		const { userId, sessionId } = socket.data;
		const slog = log.with({ user: userId, socket: socket.id });
		socket.join([userRoom(userId), sessionRoom(sessionId)]);
		slog.debug('connected');

		const ctx: HandlerContext = { userId, sessionId, socket, chat, log: slog };
		// One listener for every request, looked up in the table: a listener per request (27 with the
		// media role's) cost each idle socket 4.6 KiB of heap, a quarter of all it holds (bench/capacity.ts).
		socket.onAny((event: string, ...args: unknown[]) => {
			if (!Object.hasOwn(requests, event)) return unknownRequest(event, args);
			void chat.track(dispatch(event, requests[event as RequestName] as RequestEntry<RequestName>, ctx, args));
		});
		trackPresence(socket, chat, slog);
		socket.on('disconnect', (reason) => slog.debug(`disconnected: ${reason}`));
	});
}

/** Tells the sockets of ended sessions why, then closes them (on every node, through the adapter). */
export function endSessions(io: ChatServer, sessionIds: string[], reason: SessionEndReason): void {
	for (const id of sessionIds) {
		io.to(sessionRoom(id)).emit('session:ended', { reason });
		// Emit goes out before the disconnect packet on the same connection, so the client reads the reason.
		io.in(sessionRoom(id)).disconnectSockets(true);
	}
}
