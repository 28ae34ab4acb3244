import type { BlockChangedEvent, BlockedListResponse, FriendsRemovedEvent, UserIdRequest } from './blocks';
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
	MessagesReadersResponse,
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
	Thread,
	TypingRequest,
	UserCard,
	UsersGetRequest,
	UsersSearchRequest,
	UsersSearchResponse
} from './chat';
import type {
	CallConfigResponse,
	CallEndReason,
	CallIdRequest,
	CallInfo,
	CallInviteRequest,
	CallSummary,
	ConsumerInfo,
	IceServer,
	MediaConnectTransportRequest,
	MediaTransportRequest,
	MediaConsumeRequest,
	MediaConsumerRequest,
	MediaCreateTransportRequest,
	MediaLayersRequest,
	MediaProduceRequest,
	MediaProducerRequest,
	ProducerInfo,
	TransportInfo
} from './calls';
import type { ErrorBody } from './errors';
import type { LiveEndReason, LiveIdRequest, LiveInfo, LiveStartRequest, LiveSummary } from './live';
import type { MessagesSearchRequest, MessagesSearchResponse } from './search';
import type { LiveKeyChangedEvent, LiveKeyRegenerateResponse, LiveKeyResponse } from './streamkeys';
import type { PresenceVisibilityRequest, PushKeyResponse, PushSubscribeRequest, PushUnsubscribeRequest, ThreadsMuteRequest } from './notify';
import type {
	GroupsAddRequest,
	GroupsCreateRequest,
	GroupsLeaveRequest,
	GroupsRemoveRequest,
	GroupsRoleRequest,
	GroupsUpdateRequest,
	MessagesReadersRequest,
	ThreadRemovedEvent
} from './groups';
import type {
	MessageChangedEvent,
	MessagesChangesRequest,
	MessagesChangesResponse,
	MessagesDeleteRequest,
	MessagesEditRequest,
	MessagesEditsRequest,
	MessagesEditsResponse,
	MessagesReactRequest
} from './actions';

/** Every socket request's acknowledgement. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: Omit<ErrorBody, 'fields'> & { fields?: Record<string, string> } };
export type AckCallback<T extends object = object> = (response: Ack<T>) => void;

// The calls' events (docs/PROTOCOL.md, "Calls and media") live here beside the chat's, not in calls.ts: there
// they needed `AckCallback` and `UserCard`, and calls.ts, socket.ts and chat.ts imported each other in a circle.

export interface CallsClientToServerEvents {
	'call:config': (payload: Empty, ack: AckCallback<CallConfigResponse>) => void;
	'call:invite': (payload: CallInviteRequest, ack: AckCallback<{ call: CallInfo }>) => void;
	/** A call with yourself through the SFU (the call test page): active at once, ends within 60 s. */
	'call:test': (payload: Empty, ack: AckCallback<{ call: CallInfo }>) => void;
	'call:accept': (payload: CallIdRequest, ack: AckCallback<{ call: CallInfo }>) => void;
	'call:decline': (payload: CallIdRequest, ack: AckCallback<Empty>) => void;
	'call:cancel': (payload: CallIdRequest, ack: AckCallback<Empty>) => void;
	'call:hangup': (payload: CallIdRequest, ack: AckCallback<Empty>) => void;
	/** Extension: join a group call in progress (or move a call you are in to this device). */
	'call:join': (payload: CallIdRequest, ack: AckCallback<{ call: CallInfo }>) => void;
	/** Extension: the calls in progress in your threads (to show "call in progress" after a reload). */
	'call:active': (payload: Empty, ack: AckCallback<{ calls: CallInfo[] }>) => void;
	'media:routerRtpCapabilities': (payload: CallIdRequest, ack: AckCallback<{ rtpCapabilities: unknown }>) => void;
	'media:createTransport': (payload: MediaCreateTransportRequest, ack: AckCallback<{ transport: TransportInfo; iceServers: IceServer[] }>) => void;
	'media:connectTransport': (payload: MediaConnectTransportRequest, ack: AckCallback<Empty>) => void;
	/** Extension: new ICE parameters for a transport whose connection failed (mediasoup-client's `restartIce`). */
	'media:restartIce': (payload: MediaTransportRequest, ack: AckCallback<{ iceParameters: unknown }>) => void;
	'media:produce': (payload: MediaProduceRequest, ack: AckCallback<{ producerId: string }>) => void;
	'media:producers': (payload: CallIdRequest, ack: AckCallback<{ producers: ProducerInfo[] }>) => void;
	'media:consume': (payload: MediaConsumeRequest, ack: AckCallback<{ consumer: ConsumerInfo }>) => void;
	'media:resumeConsumer': (payload: MediaConsumerRequest, ack: AckCallback<Empty>) => void;
	'media:pauseProducer': (payload: MediaProducerRequest, ack: AckCallback<Empty>) => void;
	'media:resumeProducer': (payload: MediaProducerRequest, ack: AckCallback<Empty>) => void;
	'media:closeProducer': (payload: MediaProducerRequest, ack: AckCallback<Empty>) => void;
	/** Extension: receive a smaller or larger simulcast layer of a video consumer (by the size of its tile). */
	'media:setPreferredLayers': (payload: MediaLayersRequest, ack: AckCallback<Empty>) => void;
	/** Extension: stop receiving a consumer (its tile is off screen); `media:resumeConsumer` starts it again. */
	'media:pauseConsumer': (payload: MediaConsumerRequest, ack: AckCallback<Empty>) => void;
}

export interface CallsServerToClientEvents {
	/** To every device of the callee. */
	'call:ring': (payload: { call: CallInfo; caller: UserCard }) => void;
	/** To every device of the caller. */
	'call:accepted': (payload: { call: CallInfo }) => void;
	/** To every device of both; `summary` is what the thread's call line records. */
	'call:ended': (payload: { callId: string; reason: CallEndReason; summary: CallSummary }) => void;
	/** To the peer's call socket. */
	'media:newProducer': (payload: { callId: string; producer: ProducerInfo }) => void;
	'media:producerClosed': (payload: { callId: string; producerId: string }) => void;
	'media:producerPaused': (payload: { callId: string; producerId: string }) => void;
	'media:producerResumed': (payload: { callId: string; producerId: string }) => void;
	/** Extension, to every device of every member of the call's thread: who is in a call now (start, join, leave). */
	'call:updated': (payload: { call: CallInfo }) => void;
	/** Extension, to the call sockets of everyone in a call: who speaks loudest now (null: nobody). */
	'media:activeSpeaker': (payload: { callId: string; userId: string | null }) => void;
}

/** Live streams (docs/PROTOCOL.md, "Live streams (extension)"); media then goes through `media:*` with `callId = liveId`. */
export interface LiveClientToServerEvents {
	/** Go live in a thread you are a member of; then produce through `media:*` with `callId = live.liveId`. */
	'live:start': (payload: LiveStartRequest, ack: AckCallback<{ live: LiveInfo }>) => void;
	/** Watch a stream in one of your threads; then consume through `media:*` with `callId = liveId`. */
	'live:watch': (payload: LiveIdRequest, ack: AckCallback<{ live: LiveInfo }>) => void;
	/** Stop watching (idempotent). */
	'live:leave': (payload: LiveIdRequest, ack: AckCallback<Empty>) => void;
	/** The streamer ends the stream. */
	'live:end': (payload: LiveIdRequest, ack: AckCallback<Empty>) => void;
	/** The streams live now in your threads (after a reload). */
	'live:active': (payload: Empty, ack: AckCallback<{ streams: LiveInfo[] }>) => void;
}

/** Live streams' events: to every device of every member of the stream's thread. */
export interface LiveServerToClientEvents {
	'live:started': (payload: { live: LiveInfo; streamer: UserCard }) => void;
	/** The viewer count or the state changed (`reconnecting` and back to `live`). */
	'live:updated': (payload: { live: LiveInfo }) => void;
	'live:ended': (payload: { liveId: string; threadId: string; reason: LiveEndReason; summary: LiveSummary }) => void;
}

/**
 * Why a session ended. Extensions: `revoked`, signed out from another device (Settings > Devices);
 * `account_deleted`, the account was deleted, from this device or another.
 */
export type SessionEndReason = 'logout' | 'replaced' | 'password_changed' | 'revoked' | 'account_deleted';

/** Events the server emits to clients (PROTOCOL.md section 2, plus the extensions in docs/PROTOCOL.md). */
export interface ServerToClientEvents extends CallsServerToClientEvents, LiveServerToClientEvents, StreamKeysServerToClientEvents {
	'session:ended': (payload: { reason: SessionEndReason }) => void;
	'message:new': (payload: { message: Message }) => void;
	'message:status': (payload: MessageStatusEvent) => void;
	/** Extension (message actions): a message was edited, deleted or reacted to; to every member's devices. */
	'message:changed': (payload: MessageChangedEvent) => void;
	'friends:requested': (payload: { request: FriendRequest }) => void;
	'friends:added': (payload: FriendsAddedEvent) => void;
	/** Extension: a pending request was declined or cancelled. */
	'friends:closed': (payload: FriendsClosedEvent) => void;
	/** Extension: a friendship ended (either of you removed it); to both people's devices. */
	'friends:removed': (payload: FriendsRemovedEvent) => void;
	/** Extension: you blocked or unblocked someone (on any device); to your own devices only. */
	'users:blocked:changed': (payload: BlockChangedEvent) => void;
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
	/** Groups: the thread changed (members, roles, title, topic, picture); to every member's devices. */
	'thread:updated': (payload: { thread: Thread }) => void;
	/** Groups: you lost access to the thread (you left, were removed, or it closed); drop it. */
	'thread:removed': (payload: ThreadRemovedEvent) => void;
}

/** Notifications' requests (docs/PROTOCOL.md, "Notifications"). */
export interface NotifyClientToServerEvents {
	/** Mutes a thread for you (every device) until a time, for ever, or (null) unmutes it. */
	'threads:mute': (payload: ThreadsMuteRequest, ack: AckCallback<ThreadResponse>) => void;
	'push:key': (payload: Empty, ack: AckCallback<PushKeyResponse>) => void;
	/** Stores this browser's push subscription for you (again: updates its keys, label and preview choice). */
	'push:subscribe': (payload: PushSubscribeRequest, ack: AckCallback<Empty>) => void;
	'push:unsubscribe': (payload: PushUnsubscribeRequest, ack: AckCallback<Empty>) => void;
	/** This socket's page is hidden (or visible again); push goes to users none of whose pages are visible. */
	'presence:visibility': (payload: PresenceVisibilityRequest, ack?: AckCallback<Empty>) => void;
}

/** Stream keys' requests (docs/PROTOCOL.md, "Stream keys"), each with an empty payload (`{}`). */
export interface StreamKeysClientToServerEvents {
	/** Whether you have a key and since when, and the RTMP URL; never the key itself. */
	'live:key': (payload: Empty, ack: AckCallback<LiveKeyResponse>) => void;
	/** Makes you a new key, shown only in this answer; replaces (and so revokes) the one you had. Rate-limited. */
	'live:key:regenerate': (payload: Empty, ack: AckCallback<LiveKeyRegenerateResponse>) => void;
	/** Deletes your key (idempotent): nothing can publish as you over RTMP until you make another. */
	'live:key:delete': (payload: Empty, ack: AckCallback<Empty>) => void;
}

/** Stream keys' event (docs/PROTOCOL.md, "Stream keys"): to your own devices but the one that asked. */
export interface StreamKeysServerToClientEvents {
	/** Your key was regenerated or deleted on another device: `{key: {createdAt} | null}`, never the key. */
	'live:key:changed': (payload: LiveKeyChangedEvent) => void;
}

/** Requests clients send, each with an ack (optional only for `typing`). */
export interface ClientToServerEvents extends CallsClientToServerEvents, LiveClientToServerEvents, NotifyClientToServerEvents, StreamKeysClientToServerEvents {
	'session:whoami': (payload: Empty, ack: AckCallback<{ userId: string }>) => void;
	'users:search': (payload: UsersSearchRequest, ack: AckCallback<UsersSearchResponse>) => void;
	/** Extension: cards by id (your own id gives your card with your bio). */
	'users:get': (payload: UsersGetRequest, ack: AckCallback<UsersSearchResponse>) => void;
	'friends:request': (payload: FriendsRequestRequest, ack: AckCallback<FriendsRequestResponse>) => void;
	'friends:respond': (payload: FriendsRespondRequest, ack: AckCallback<FriendsRespondResponse>) => void;
	/** Extension: the sender withdraws a pending request. */
	'friends:cancel': (payload: FriendsCancelRequest, ack: AckCallback<Empty>) => void;
	'friends:list': (payload: Empty, ack: AckCallback<FriendsListResponse>) => void;
	/** Extension: ends a friendship both ways; the private thread stays, read-only until you are friends again. */
	'friends:remove': (payload: UserIdRequest, ack: AckCallback<Empty>) => void;
	/** Extension: blocks, unblocks (both idempotent), and lists the people you blocked. */
	'users:block': (payload: UserIdRequest, ack: AckCallback<Empty>) => void;
	'users:unblock': (payload: UserIdRequest, ack: AckCallback<Empty>) => void;
	'users:blocked': (payload: Empty, ack: AckCallback<BlockedListResponse>) => void;
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
	'groups:create': (payload: GroupsCreateRequest, ack: AckCallback<ThreadResponse>) => void;
	'groups:add': (payload: GroupsAddRequest, ack: AckCallback<ThreadResponse>) => void;
	'groups:remove': (payload: GroupsRemoveRequest, ack: AckCallback<ThreadResponse>) => void;
	'groups:leave': (payload: GroupsLeaveRequest, ack: AckCallback<Empty>) => void;
	'groups:update': (payload: GroupsUpdateRequest, ack: AckCallback<ThreadResponse>) => void;
	'groups:role': (payload: GroupsRoleRequest, ack: AckCallback<ThreadResponse>) => void;
	/** Groups (and pairs): who of the other members has read, or only received, up to `seq`. */
	'messages:readers': (payload: MessagesReadersRequest, ack: AckCallback<MessagesReadersResponse>) => void;
	/** Extension (message actions): edit your own text message within the edit window. */
	'messages:edit': (payload: MessagesEditRequest, ack: AckCallback<MessageResponse>) => void;
	/** Extension (message actions): delete your own message for everyone (a tombstone keeps its seq). */
	'messages:delete': (payload: MessagesDeleteRequest, ack: AckCallback<MessageResponse>) => void;
	/** Extension (message actions): add (or with `remove`, take back) your reaction. */
	'messages:react': (payload: MessagesReactRequest, ack: AckCallback<MessageResponse>) => void;
	/** Extension (message actions): the earlier texts of your own edited message. */
	'messages:edits': (payload: MessagesEditsRequest, ack: AckCallback<MessagesEditsResponse>) => void;
	/** Extension (message actions): the messages of a thread that changed after `afterChangeSeq`. */
	'messages:changes': (payload: MessagesChangesRequest, ack: AckCallback<MessagesChangesResponse>) => void;
	/** Extension: full-text search over the messages of the asker's threads (docs/PROTOCOL.md, "Search"). */
	'messages:search': (payload: MessagesSearchRequest, ack: AckCallback<MessagesSearchResponse>) => void;
}
