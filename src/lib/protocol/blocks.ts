import { z } from 'zod';
import { CHAT_LIMITS, type UserCard } from './chat';

// Unfriending and blocking (extension, docs/PROTOCOL.md "Unfriend and block").

const userId = z
	.string({ message: 'userId must be a string' })
	.min(1, { message: 'userId must not be empty' })
	.max(CHAT_LIMITS.idMax, { message: `userId is at most ${CHAT_LIMITS.idMax} characters` });

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
