import { tick } from 'svelte';
import type { ChatClient } from '$lib/chat/client.svelte';

/**
 * A click on a quote: older pages load until the original (message `seq`) is here, then the list
 * scrolls to it and its bubble flashes. `list` is read after each wait (the list may have changed).
 */
export async function jumpToQuoted(client: ChatClient, threadId: string, seq: number, list: () => { scrollToKey(key: string, fromTop?: number): void } | undefined): Promise<void> {
	for (let guard = 0; guard < 500; guard++) {
		const found = client.messages[threadId]?.find((m) => m.seq === seq);
		if (found) {
			await tick();
			list()?.scrollToKey(`m:${found.senderId}:${found.clientId}`, 72);
			await tick();
			document.querySelector(`[data-testid="thread"] [data-seq="${seq}"] .bubble`)?.animate([{ outline: '2px solid var(--accent)' }, { outline: '2px solid transparent' }], { duration: 1600 });
			return;
		}
		if (!client.olderAvailable[threadId] || (await client.loadOlder(threadId).catch(() => 0)) === 0) return;
	}
}
