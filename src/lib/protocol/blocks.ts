import { z } from 'zod';
import { type UserCard } from './chat';
import { idOf } from './chat-base';

// Unfriending and blocking (extension, docs/PROTOCOL.md "Unfriend and block").

const userId = idOf('userId');

/** `friends:remove`, `users:block`, `users:unblock`: the other person. */
export const userIdRequest = z.strictObject({ userId });
export type UserIdRequest = z.infer<typeof userIdRequest>;

export interface BlockedListResponse {
	/** The people you blocked, newest first, as you see them. */
	users: UserCard[];
}

/** `friends:removed`: to both people's devices; `userId` is the other one. */
export interface FriendsRemovedEvent {
	userId: string;
}

/** `users:blocked:changed`: to the blocker's own devices only (the blocked person hears nothing). */
export interface BlockChangedEvent {
	userId: string;
	blocked: boolean;
}

/**
 * The one message every refusal caused by a block gives the blocked person, whichever way it goes (a
 * friend request, a message, a call): the same words as any other "not now", naming nobody's choice.
 */
export const NOT_REACHABLE = 'this person cannot be reached here right now';

/**
 * `groups:create` and `groups:add` refused (`forbidden`) because some of the people named blocked the
 * asker: `NOT_REACHABLE`'s words, naming whom, since one request names several people. The same words
 * whoever blocked whom is not told (nothing says "blocked").
 */
export function notReachableAmong(userIds: readonly string[]): string {
	const shown = userIds.slice(0, 5).map((id) => `"${id}"`);
	const more = userIds.length - shown.length;
	const names = more > 0 ? `${shown.join(', ')} and ${more} more` : shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : shown[0];
	return userIds.length === 1 ? `user ${names}: ${NOT_REACHABLE}` : `users ${names}: these people cannot be reached here right now`;
}
