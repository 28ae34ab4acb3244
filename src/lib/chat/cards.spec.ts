import { describe, expect, it } from 'vitest';
import type { UserCard } from '$lib/protocol';
import { withProfile } from './cards';

const card = (over: Partial<UserCard> = {}): UserCard => ({ id: 'u1', username: 'dana', displayName: 'Dana', bio: 'hi', avatarUrl: '/files/avatars/a1', relationship: 'friend', online: true, ...over });

describe('withProfile', () => {
	it("takes a renamed user's name and bio, nothing else", () => {
		expect(withProfile(card(), card({ displayName: 'Dana B', bio: '', relationship: 'none', avatarUrl: null, online: false }))).toEqual(card({ displayName: 'Dana B', bio: '' }));
	});

	it("leaves another user's card as it is", () => {
		const other = card({ id: 'u2' });
		expect(withProfile(other, card({ displayName: 'X' }))).toBe(other);
	});

	it("marks a deleted account's card: the tombstone's name, no picture, deleted", () => {
		const tombstone = card({ username: 'deleted', displayName: 'Deleted user', bio: '', avatarUrl: null, relationship: 'none', deleted: true });
		expect(withProfile(card(), tombstone)).toEqual(card({ username: 'deleted', displayName: 'Deleted user', bio: '', avatarUrl: null, deleted: true }));
	});
});
