import { z } from 'zod';
import { hasControlCharacters } from './text';
import { CHAT_LIMITS, idOf, limit } from './chat-base';

// People (PROTOCOL.md section 2): users as others see them, finding them, friend requests and
// presence. Friendships that open a thread are answered in chat.ts.

export type Relationship = 'self' | 'friend' | 'incoming' | 'outgoing' | 'none';

/** A person as another person sees them. `online` only for friends and for yourself (and for the members in a group's member list). */
export interface UserCard {
	id: string;
	username: string;
	displayName: string;
	bio: string;
	/** The person's picture (extension: `avatarUrl()`), or null: show initials. */
	avatarUrl: string | null;
	online?: boolean;
	/** From the viewer's side: `incoming` = they asked you, `outgoing` = you asked them. */
	relationship: Relationship;
	/** Extension: the account was deleted (the card then reads "Deleted user", no picture); absent otherwise. */
	deleted?: true;
}

export type FriendRequestStatus = 'pending' | 'accepted' | 'declined' | 'cancelled';

export interface FriendRequest {
	id: string;
	from: UserCard;
	to: UserCard;
	message: string;
	status: FriendRequestStatus;
	createdAt: string;
}

export interface Friend {
	user: UserCard;
	online: boolean;
	/** The private thread of the two friends. */
	threadId: string;
	since: string;
}

// ---- request schemas -------------------------------------------------------------------------

export const usersSearchRequest = z.strictObject({
	query: z
		.string({ message: 'query must be a string' })
		.trim()
		.min(1, { message: 'query must not be empty' })
		.max(CHAT_LIMITS.searchQueryMax, { message: `query is at most ${CHAT_LIMITS.searchQueryMax} characters` }),
	limit: limit.optional()
});

export const usersGetRequest = z.strictObject({
	userIds: z
		.array(idOf('userIds[]'), { message: 'userIds must be a list of user ids' })
		.min(1, { message: 'userIds must not be empty' })
		.max(CHAT_LIMITS.pageMax, { message: `userIds has at most ${CHAT_LIMITS.pageMax} ids` })
});

export const friendsRequestRequest = z.strictObject({
	userId: idOf('userId'),
	message: z
		.string({ message: 'message must be a string' })
		.trim()
		.max(CHAT_LIMITS.requestMessageMax, { message: `message is at most ${CHAT_LIMITS.requestMessageMax} characters` })
		.refine((s) => !hasControlCharacters(s, '\t\n'), { message: 'message must not contain control characters' })
		.optional()
});

export const friendsRespondRequest = z.strictObject({
	requestId: idOf('requestId'),
	accept: z.boolean({ message: 'accept must be true or false' })
});

export const friendsCancelRequest = z.strictObject({ requestId: idOf('requestId') });

export type UsersSearchRequest = z.input<typeof usersSearchRequest>;
export type UsersGetRequest = z.input<typeof usersGetRequest>;
export type FriendsRequestRequest = z.input<typeof friendsRequestRequest>;
export type FriendsRespondRequest = z.input<typeof friendsRespondRequest>;
export type FriendsCancelRequest = z.input<typeof friendsCancelRequest>;

// ---- ack data and events -------------------------------------------------------------------

export interface UsersSearchResponse {
	/** users:get: in the order asked, unknown ids left out. */
	users: UserCard[];
}
export interface FriendsListResponse {
	friends: Friend[];
	incoming: FriendRequest[];
	outgoing: FriendRequest[];
}
/** A pending request ended without a friendship (extension). */
export interface FriendsClosedEvent {
	requestId: string;
	status: 'declined' | 'cancelled';
}
export interface PresenceEvent {
	userId: string;
	online: boolean;
}
