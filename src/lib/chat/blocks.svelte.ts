import type { UserCard } from '$lib/protocol';
import type { ChatClient } from './client.svelte';

/**
 * The people the user blocked, kept live (`users:blocked` after each connection, then
 * `users:blocked:changed` from any of the user's devices), and the unfriend and block actions
 * (docs/PROTOCOL.md "Unfriend and block"). One per ChatClient: `blocksOf(client)`.
 */
export class Blocks {
	blocked = $state<UserCard[]>([]);
	loaded = $state(false);

	constructor(private readonly client: ChatClient) {
		client.isBlocked = (userId) => this.isBlocked(userId);
		client.onSocket((socket) => {
			socket.on('users:blocked:changed', ({ userId, blocked }) => {
				if (!blocked) this.blocked = this.blocked.filter((u) => u.id !== userId);
				else void this.load();
				// Their group messages stop (or start again) counting as unread.
				client.recountGroups();
			});
			// Either of you ended the friendship: they leave the list (the thread stays, read-only).
			socket.on('friends:removed', ({ userId }) => this.#unfriended(userId));
			void this.load();
		});
	}

	isBlocked(userId: string): boolean {
		return this.blocked.some((u) => u.id === userId);
	}

	async load(): Promise<void> {
		try {
			this.blocked = (await this.client.request('users:blocked', {})).users;
			this.loaded = true;
		} catch {
			// Offline: the next connection loads it.
		}
	}

	async block(user: UserCard): Promise<void> {
		await this.client.request('users:block', { userId: user.id });
		if (!this.isBlocked(user.id)) this.blocked = [user, ...this.blocked];
	}

	async unblock(userId: string): Promise<void> {
		await this.client.request('users:unblock', { userId });
		this.blocked = this.blocked.filter((u) => u.id !== userId);
	}

	async unfriend(userId: string): Promise<void> {
		await this.client.request('friends:remove', { userId });
		this.#unfriended(userId);
	}

	#unfriended(userId: string): void {
		this.client.people.friends = this.client.people.friends.filter((f) => f.user.id !== userId);
	}
}

const stores = new WeakMap<ChatClient, Blocks>();

/** The client's `Blocks`, made on first use. */
export function blocksOf(client: ChatClient): Blocks {
	let blocks = stores.get(client);
	if (!blocks) stores.set(client, (blocks = new Blocks(client)));
	return blocks;
}
