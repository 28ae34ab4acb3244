// Parley's service worker: shows Web Push messages (docs/PROTOCOL.md, "Notifications") and opens
// the thread when one is clicked. It caches nothing: the app works online only.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
	let data = {};
	try {
		data = event.data ? event.data.json() : {};
	} catch {
		// Not JSON: show what it says as the body below.
		data = { body: event.data ? event.data.text() : '' };
	}
	const threadId = typeof data.threadId === 'string' ? data.threadId : null;
	// Browsers require a notification for every push (userVisibleOnly), so one is always shown.
	event.waitUntil(
		self.registration.showNotification(typeof data.title === 'string' && data.title ? data.title : 'Parley', {
			body: typeof data.body === 'string' && data.body ? data.body : 'New message',
			// One per thread: a newer push replaces the older, as the server's Topic does in the push service.
			tag: threadId ? `thread:${threadId}` : 'parley',
			data: { threadId }
		})
	);
});

self.addEventListener('notificationclick', (event) => {
	event.notification.close();
	const threadId = event.notification.data && event.notification.data.threadId;
	const path = threadId ? `/app/t/${encodeURIComponent(threadId)}` : '/app';
	event.waitUntil(
		(async () => {
			const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
			const open = windows.find((w) => new URL(w.url).pathname.startsWith('/app')) ?? windows[0];
			if (open) {
				// The page moves to the thread itself (no reload): see src/lib/notify/push.ts.
				open.postMessage({ type: 'parley:open-thread', threadId });
				await open.focus();
				return;
			}
			await self.clients.openWindow(path);
		})()
	);
});
