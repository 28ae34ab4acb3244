import { getContext, setContext } from 'svelte';
import type { ChatClient } from './client.svelte';

const KEY = Symbol('parley.chat');

/** Makes `client` the chat client of every component under the caller (the signed-in layout). */
export function setChatClient(client: ChatClient): ChatClient {
	return setContext(KEY, client);
}

/** The page's chat client; only inside the signed-in layout. */
export function getChatClient(): ChatClient {
	const client = getContext<ChatClient | undefined>(KEY);
	if (!client) throw new Error('getChatClient() called outside the signed-in layout (no ChatClient in context)');
	return client;
}
