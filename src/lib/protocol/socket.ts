import type {
	Empty,
	FriendRequest,
	FriendsAddedEvent,
	FriendsCancelRequest,
	FriendsClosedEvent,
	FriendsListResponse,
	FriendsRequestRequest,
	FriendsRequestResponse,
	FriendsRespondRequest,
	FriendsRespondResponse,
	Message,
	MessageResponse,
	MessagesListRequest,
	MessagesListResponse,
	MessageStatusEvent,
	MessagesReceiptRequest,
	MessagesSendRequest,
	PresenceEvent,
	ThreadResponse,
	ThreadsGetRequest,
	ThreadsListRequest,
	ThreadsListResponse,
	ThreadsOpenRequest,
	TypingEvent,
	TypingRequest,
	UserCard,
	UsersGetRequest,
	UsersSearchRequest,
	UsersSearchResponse
} from './chat';
import type { CallsClientToServerEvents, CallsServerToClientEvents } from './calls';
import type { ErrorBody } from './errors';

/** Every socket request's acknowledgement. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: Omit<ErrorBody, 'fields'> & { fields?: Record<string, string> } };
export type AckCallback<T extends object = object> = (response: Ack<T>) => void;

export type SessionEndReason = 'logout' | 'replaced' | 'password_changed';

/** Events the server emits to clients (PROTOCOL.md section 2, plus the extensions in docs/PROTOCOL.md). */
export interface ServerToClientEvents extends CallsServerToClientEvents {
	'session:ended': (payload: { reason: SessionEndReason }) => void;
	'message:new': (payload: { message: Message }) => void;
	'message:status': (payload: MessageStatusEvent) => void;
	'friends:requested': (payload: { request: FriendRequest }) => void;
	'friends:added': (payload: FriendsAddedEvent) => void;
	/** Extension: a pending request was declined or cancelled. */
	'friends:closed': (payload: FriendsClosedEvent) => void;
	presence: (payload: PresenceEvent) => void;
	typing: (payload: TypingEvent) => void;
	/** Extension: a friend (or you, on another device) changed display name or bio. */
	'user:updated': (payload: { user: UserCard }) => void;
	/**
	 * Extension: the owner deleted a file that was sent into this thread. Its messages stay; show their
	 * file as deleted (a later `messages:list` gives `file: {id, deleted: true}`).
	 */
	'file:deleted': (payload: { fileId: string; threadId: string }) => void;
	/**
	 * Extension: this chat node is stopping. Within `withinMs` (at a random moment in it, so a node's
	 * clients do not all arrive at once), get a fresh ticket from the gateway and reconnect: it names
	 * another node. Requests in flight are still answered until you disconnect.
	 */
	'server:draining': (payload: { withinMs: number }) => void;
}

/** Requests clients send, each with an ack (optional only for `typing`). */
export interface ClientToServerEvents extends CallsClientToServerEvents {
	'session:whoami': (payload: Empty, ack: AckCallback<{ userId: string }>) => void;
	'users:search': (payload: UsersSearchRequest, ack: AckCallback<UsersSearchResponse>) => void;
	/** Extension: cards by id (your own id gives your card with your bio). */
	'users:get': (payload: UsersGetRequest, ack: AckCallback<UsersSearchResponse>) => void;
	'friends:request': (payload: FriendsRequestRequest, ack: AckCallback<FriendsRequestResponse>) => void;
	'friends:respond': (payload: FriendsRespondRequest, ack: AckCallback<FriendsRespondResponse>) => void;
	/** Extension: the sender withdraws a pending request. */
	'friends:cancel': (payload: FriendsCancelRequest, ack: AckCallback<Empty>) => void;
	'friends:list': (payload: Empty, ack: AckCallback<FriendsListResponse>) => void;
	'threads:open': (payload: ThreadsOpenRequest, ack: AckCallback<ThreadResponse>) => void;
	/** Extension: one thread by id (e.g. on a `message:new` for a thread the client does not hold). */
	'threads:get': (payload: ThreadsGetRequest, ack: AckCallback<ThreadResponse>) => void;
	'threads:list': (payload: ThreadsListRequest, ack: AckCallback<ThreadsListResponse>) => void;
	'messages:list': (payload: MessagesListRequest, ack: AckCallback<MessagesListResponse>) => void;
	'messages:send': (payload: MessagesSendRequest, ack: AckCallback<MessageResponse>) => void;
	'messages:read': (payload: MessagesReceiptRequest, ack: AckCallback<Empty>) => void;
	/** Extension: the client has received messages up to `seq`. */
	'messages:delivered': (payload: MessagesReceiptRequest, ack: AckCallback<Empty>) => void;
	/** Extension: the user is typing; relayed (throttled) to the other members. Ack optional. */
	typing: (payload: TypingRequest, ack?: AckCallback<Empty>) => void;
}
