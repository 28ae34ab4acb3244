import { getContext, onDestroy, setContext } from 'svelte';
import type { ChatClient } from '$lib/chat/client.svelte';
import { CallClient } from './call.svelte';

const KEY = Symbol('parley.call');

/**
 * Makes a `CallClient` on `chat`'s socket the calls of every component under the caller (the signed-in
 * layout); it hangs up and lets go when that component goes away.
 */
export function provideCalls(chat: ChatClient): CallClient {
	const calls = new CallClient(chat);
	onDestroy(() => calls.destroy());
	return setContext(KEY, calls);
}

/** The page's calls; null outside the signed-in layout (a component that shows call buttons hides them). */
export function getCalls(): CallClient | null {
	return getContext<CallClient | undefined>(KEY) ?? null;
}
