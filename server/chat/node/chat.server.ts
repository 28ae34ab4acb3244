import {
	emptyRequest,
	groupsAddRequest,
	groupsCreateRequest,
	groupsLeaveRequest,
	groupsRemoveRequest,
	groupsRoleRequest,
	groupsUpdateRequest,
	friendsCancelRequest,
	friendsRequestRequest,
	friendsRespondRequest,
	messagesChangesRequest,
	messagesDeleteRequest,
	messagesEditRequest,
	messagesEditsRequest,
	messagesListRequest,
	messagesReactRequest,
	messagesReadersRequest,
	messagesReceiptRequest,
	messagesSearchRequest,
	messagesSendRequest,
	threadsGetRequest,
	threadsMuteRequest,
	pushSubscribeRequest,
	pushUnsubscribeRequest,
	presenceVisibilityRequest,
	threadsListRequest,
	threadsOpenRequest,
	typingRequest,
	usersGetRequest,
	usersSearchRequest
} from '../../../src/lib/protocol/index.js';
import type { AuthService } from '../../auth/auth.service.js';
import type { Logger } from '../../logger.js';
import type { Chat, HandlerContext, RequestEntry, RequestName, RequestTable } from '../chat.types.js';
import { dispatch, refuse, unknownRequest } from './dispatch.js';
import { BLOCK_REQUESTS } from '../blocks/blocks.handlers.js';
import { cancelFriendRequest, getUsers, listFriends, requestFriend, respondToFriend, searchUsers } from '../friends/friends.handlers.js';
import { SocketFlow, type EngineConnection } from './flow.js';
import { deleteMessage, editMessage, listChanges, listEdits, reactToMessage } from '../messages/actions.handlers.js';
import { listMessages, listReaders, markDelivered, markRead, sendMessage, typing } from '../messages/messages.handlers.js';
import { addToGroup, createGroup, leaveGroup, removeFromGroup, setGroupRole, updateGroup } from '../conversations/groups.handlers.js';
import { trackPresence, untrackPresence, whoami } from '../presence/presence.js';
import { searchMessages } from '../search/search.handlers.js';
import { sessionRoom, userRoom, type ChatServer, type ChatSocket } from './socket.js';
import { getThread, listThreads, muteThread, openThread } from '../conversations/threads.handlers.js';
import { presenceVisibility, pushKey, pushSubscribe, pushUnsubscribe } from '../../push/push.handlers.js';
import type { Tickets } from './tickets.js';

/** Every request of PROTOCOL.md section 2 and its extensions: event name to schema and handler. */
const REQUESTS: RequestTable = {
	'session:whoami': { schema: emptyRequest, handle: whoami },
	'users:search': { schema: usersSearchRequest, read: true, handle: searchUsers },
	'users:get': { schema: usersGetRequest, read: true, handle: getUsers },
	'friends:request': { schema: friendsRequestRequest, handle: requestFriend },
	'friends:respond': { schema: friendsRespondRequest, handle: respondToFriend },
	'friends:cancel': { schema: friendsCancelRequest, handle: cancelFriendRequest },
	'friends:list': { schema: emptyRequest, read: true, handle: listFriends },
	'threads:open': { schema: threadsOpenRequest, handle: openThread },
	'threads:get': { schema: threadsGetRequest, read: true, handle: getThread },
	'threads:list': { schema: threadsListRequest, read: true, handle: listThreads },
	'threads:mute': { schema: threadsMuteRequest, handle: muteThread },
	'push:key': { schema: emptyRequest, handle: pushKey },
	'push:subscribe': { schema: pushSubscribeRequest, handle: pushSubscribe },
	'push:unsubscribe': { schema: pushUnsubscribeRequest, handle: pushUnsubscribe },
	'presence:visibility': { schema: presenceVisibilityRequest, handle: presenceVisibility },
	'messages:list': { schema: messagesListRequest, read: true, handle: listMessages },
	'messages:send': { schema: messagesSendRequest, handle: sendMessage },
	'messages:read': { schema: messagesReceiptRequest, handle: markRead },
	'messages:delivered': { schema: messagesReceiptRequest, handle: markDelivered },
	typing: { schema: typingRequest, handle: typing },
	'messages:readers': { schema: messagesReadersRequest, read: true, handle: listReaders },
	'messages:search': { schema: messagesSearchRequest, read: true, handle: searchMessages },
	'groups:create': { schema: groupsCreateRequest, handle: createGroup },
	'groups:add': { schema: groupsAddRequest, handle: addToGroup },
	'groups:remove': { schema: groupsRemoveRequest, handle: removeFromGroup },
	'groups:leave': { schema: groupsLeaveRequest, handle: leaveGroup },
	'groups:update': { schema: groupsUpdateRequest, handle: updateGroup },
	'groups:role': { schema: groupsRoleRequest, handle: setGroupRole },
	'messages:edit': { schema: messagesEditRequest, handle: editMessage },
	'messages:delete': { schema: messagesDeleteRequest, handle: deleteMessage },
	'messages:react': { schema: messagesReactRequest, handle: reactToMessage },
	'messages:edits': { schema: messagesEditsRequest, read: true, handle: listEdits },
	'messages:changes': { schema: messagesChangesRequest, read: true, handle: listChanges },
	...BLOCK_REQUESTS
};

/** One socket's state: the context its requests are handled in, its flow control, its presence count. */
interface ChatConnection extends HandlerContext {
	flow: SocketFlow;
	/** The presence store's count of the socket, which its removal waits for. */
	presence: Promise<unknown>;
}

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

	// The listeners are the same two functions for every socket (socket.io calls them on the socket);
	// each finds its socket's state here. A closure per listener per socket, with its context, cost
	// every idle connection about 0.5 KiB of heap (docs/BENCHMARKS.md, capacity).
	const connections = new WeakMap<ChatSocket, ChatConnection>();
	// One listener for every request, looked up in the table: a listener per request (27 with the
	// media role's) cost each idle socket 4.6 KiB of heap, a quarter of all it held.
	function onRequest(this: ChatSocket, event: string, ...args: unknown[]): void {
		if (!Object.hasOwn(requests, event)) return unknownRequest(event, args);
		const ctx = connections.get(this);
		if (!ctx) return;
		// Through the socket's flow control: a socket with too much unanswered or unread waits or is refused.
		const entry = requests[event as RequestName] as RequestEntry<RequestName>;
		ctx.flow.submit(
			() => chat.track(dispatch(event, entry, ctx, args)),
			(error) => refuse(args, error.toBody())
		);
	}
	function onDisconnect(this: ChatSocket, reason: string): void {
		const ctx = connections.get(this);
		if (!ctx) return;
		ctx.flow.close();
		untrackPresence(this, ctx.presence, chat, ctx.log);
		ctx.log.debug(`disconnected: ${reason}`);
	}

	io.on('connection', (socket) => {
		const { userId, sessionId } = socket.data;
		const slog = log.with({ user: userId, socket: socket.id });
		socket.join([userRoom(userId), sessionRoom(sessionId)]);
		slog.debug('connected');
		const flow = new SocketFlow(socket.conn as unknown as EngineConnection, chat.limits, slog);
		connections.set(socket, { userId, sessionId, socket, chat, log: slog, flow, presence: trackPresence(socket, chat, slog) });
		socket.onAny(onRequest);
		socket.on('disconnect', onDisconnect);
	});
}
