import type { UserCard } from '$lib/protocol';

/**
 * `card` with the profile `user:updated` announced, if it is the same user's (a new object, or `card`
 * itself). A deleted account's card (docs/PROTOCOL.md, "Deleting the account") also takes its tombstone
 * username, no picture and `deleted`, so the chat with it turns read-only at once.
 */
export function withProfile(card: UserCard, user: UserCard): UserCard {
	if (card.id !== user.id) return card;
	const updated = { ...card, displayName: user.displayName, bio: user.bio };
	return user.deleted ? { ...updated, username: user.username, avatarUrl: null, deleted: true } : updated;
}
