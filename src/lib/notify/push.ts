import type { ChatClient } from '$lib/chat/client.svelte';

/** Web Push needs a service worker and the Push API (not in every browser, nor over plain http except on localhost). */
export function pushSupported(): boolean {
	return typeof navigator !== 'undefined' && 'serviceWorker' in navigator && typeof window !== 'undefined' && 'PushManager' in window && window.isSecureContext;
}

/** Registers static/sw.js (once per page; the browser keeps it across visits). */
export function registerWorker(): Promise<ServiceWorkerRegistration> {
	return navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready);
}

/** This browser's subscription, if it has one. */
export async function currentSubscription(): Promise<PushSubscription | null> {
	if (!pushSupported()) return null;
	return (await registerWorker()).pushManager.getSubscription();
}

/** "Chrome on Linux": how Settings names this device to its owner. */
export function deviceLabel(ua = navigator.userAgent): string {
	const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'A browser';
	const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
	return os ? `${browser} on ${os}` : browser;
}

/** Subscribes this browser with the server's VAPID key and stores the subscription on the server. */
export async function subscribePush(client: ChatClient, options: { hidePreviews: boolean }): Promise<PushSubscription> {
	const { publicKey } = await client.request('push:key', {});
	const registration = await registerWorker();
	const subscription = (await registration.pushManager.getSubscription()) ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }));
	await savePush(client, subscription, options);
	return subscription;
}

/** Stores (or updates: the preview choice) the subscription on the server. */
export async function savePush(client: ChatClient, subscription: PushSubscription, options: { hidePreviews: boolean }): Promise<void> {
	const json = subscription.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
	await client.request('push:subscribe', { endpoint: json.endpoint, keys: json.keys, label: deviceLabel(), hidePreviews: options.hidePreviews });
}

/** Forgets the subscription in the browser and on the server. */
export async function unsubscribePush(client: ChatClient, subscription: PushSubscription): Promise<void> {
	const endpoint = subscription.endpoint;
	await subscription.unsubscribe();
	await client.request('push:unsubscribe', { endpoint }).catch((error: unknown) => {
		// Already gone on the server (the push service said 410): nothing left to forget.
		if (!(error instanceof Error && 'code' in error && error.code === 'not_found')) throw error;
	});
}

/** Calls `open` with the thread of a clicked push notification (the service worker posts it). Returns the stop. */
export function onPushClick(open: (threadId: string | null) => void): () => void {
	if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return () => undefined;
	const listener = (event: MessageEvent) => {
		const data = event.data as { type?: string; threadId?: unknown } | null;
		if (data?.type === 'parley:open-thread') open(typeof data.threadId === 'string' ? data.threadId : null);
	};
	navigator.serviceWorker.addEventListener('message', listener);
	return () => navigator.serviceWorker.removeEventListener('message', listener);
}
