import type { UserCard } from '$lib/protocol';

/** `card` with the profile `user:updated` announced, if it is the same user's (a new object, or `card` itself). */
export function withProfile(card: UserCard, user: UserCard): UserCard {
	return card.id === user.id ? { ...card, displayName: user.displayName, bio: user.bio } : card;
}
