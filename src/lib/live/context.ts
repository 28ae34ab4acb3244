import { getContext, onDestroy, setContext } from 'svelte';
import type { ChatClient } from '$lib/chat/client.svelte';
import { LiveClient } from './session.svelte';

const KEY = Symbol('parley.live');

/** Makes a `LiveClient` on `chat`'s socket the live streams of every component under the caller (the signed-in layout). */
export function provideLive(chat: ChatClient): LiveClient {
	const live = new LiveClient(chat);
	onDestroy(() => live.destroy());
	return setContext(KEY, live);
}

/** The page's live streams; null outside the signed-in layout (components that show live controls hide them). */
export function getLive(): LiveClient | null {
	return getContext<LiveClient | undefined>(KEY) ?? null;
}
