import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import type { ChatClient } from '$lib/chat/client.svelte';
import type { UserCard } from '$lib/protocol';
import { session } from '$lib/session.svelte';

/**
 * Who has which picture, by user id, for `Avatar` to find on its own: the places that show a person
 * pass an id and a name, and the picture follows without each of them carrying the URL along.
 *
 * Two layers. `known` is learnt from the cards the chat client holds (threads, friends, requests) and
 * the signed-in user. `live` is what `user:updated` and this tab's own changes said since the socket
 * connected: newer than any card loaded before it (the client's card merge keeps names and bios only),
 * so it wins. A new socket clears it: the client reloads its threads then, and those cards are fresh.
 */
const known = new SvelteMap<string, string | null>();
const live = new SvelteMap<string, string | null>();

/**
 * The picture of `userId`: a URL, null for none (initials), undefined when nothing is known yet.
 * `given` is what the caller's own card says (a search result the registry never saw): a live change
 * still beats it, as that card may be older.
 */
export function avatarOf(userId: string, given?: string | null): string | null | undefined {
	if (live.has(userId)) return live.get(userId);
	return given !== undefined ? given : known.get(userId);
}

/** Records a change this tab made or was told of (it wins over cards loaded before). */
export function setAvatar(userId: string, url: string | null): void {
	if (live.get(userId) !== url || !live.has(userId)) live.set(userId, url);
}

function learn(userId: string, url: string | null | undefined): void {
	if (url === undefined) return;
	if (known.get(userId) !== url || !known.has(userId)) known.set(userId, url);
}

let watched: { client: ChatClient; stop: () => void } | null = null;

/**
 * Fills the registry from `client` (idempotent; the `Avatar` components call it). One client at a
 * time: a new one (signed in again) replaces the last.
 */
export function watchChat(client: ChatClient): void {
	if (watched?.client === client) return;
	watched?.stop();
	const offSocket = client.onSocket((socket) => {
		live.clear();
		socket.on('user:updated', ({ user }) => setAvatar(user.id, user.avatarUrl ?? null));
	});
	const stopEffects = $effect.root(() => {
		$effect(() => {
			const cards: UserCard[] = [];
			for (const f of client.people.friends) cards.push(f.user);
			for (const r of client.people.incoming) cards.push(r.from);
			for (const r of client.people.outgoing) cards.push(r.to);
			for (const t of Object.values(client.threads)) {
				cards.push(...t.members);
				if (t.peer) cards.push(t.peer);
			}
			const me = session.user;
			untrack(() => {
				for (const card of cards) learn(card.id, card.avatarUrl);
				if (me) learn(me.id, me.avatarUrl);
			});
		});
	});
	watched = {
		client,
		stop: () => {
			offSocket();
			stopEffects();
		}
	};
}
