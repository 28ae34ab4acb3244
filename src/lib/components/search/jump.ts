import { tick } from 'svelte';
import type { ChatClient } from '$lib/chat/client.svelte';

/**
 * Loads older pages of `threadId` until message `seq` is among the loaded ones (a search result
 * opens the thread there). Resolves to whether it is: false when the thread has no such message, or
 * the connection failed.
 */
export async function loadUntil(client: ChatClient, threadId: string, seq: number): Promise<boolean> {
	for (let guard = 0; guard < 1000; guard++) {
		const list = client.messages[threadId] ?? [];
		if (list.length > 0 && list[0].seq <= seq) return list.some((m) => m.seq === seq);
		if (!client.olderAvailable[threadId]) return false;
		if ((await client.loadOlder(threadId).catch(() => 0)) === 0) return false;
	}
	return false;
}

/** Marks the message bubble of `seq` in the open thread for a moment (`.search-target`, SearchBox's style). */
export async function flash(seq: number): Promise<void> {
	await tick();
	let bubble: HTMLElement | null = null;
	// The list renders the row once it has scrolled there: a few frames at most.
	for (let frame = 0; frame < 10 && !bubble; frame++) {
		await new Promise((resolve) => requestAnimationFrame(resolve));
		bubble = document.querySelector<HTMLElement>(`[data-testid="thread"] [data-seq="${seq}"]`);
	}
	if (!bubble) return;
	bubble.classList.add('search-target');
	setTimeout(() => bubble.classList.remove('search-target'), 2600);
}
