import type { Friend, FriendRequest } from './people';
import type { Thread } from './threads';

/**
 * The chat half of the contract (PROTOCOL.md section 2 and the extensions in docs/PROTOCOL.md): the
 * shapes the server sends, and one schema per request, used by the server to validate and by clients
 * for their types. One file per concern (people, messages, threads), all re-exported from here; the
 * answers that make a friendship carry its thread, so they sit here, above both.
 */

export { CHAT_LIMITS, characterCount, emptyRequest, messageTextSchema, type Empty } from './chat-base';
export * from './people';
export * from './messages';
export * from './threads';

/** `friend` and `thread` only when the request met one from the other side and became a friendship. */
export interface FriendsRequestResponse {
	request: FriendRequest;
	friend?: Friend;
	thread?: Thread;
}
/** Both present when accepted; neither when declined. */
export interface FriendsRespondResponse {
	friend?: Friend;
	thread?: Thread;
}
export interface FriendsAddedEvent {
	friend: Friend;
	thread: Thread;
}
