// Parley's service worker: shows Web Push messages (docs/PROTOCOL.md, "Notifications") and opens
// the thread when one is clicked. It caches nothing: the app works online only.
//
// A classic script (module service workers are not in every browser). The decisions are plain
// functions in `parleySw`, which src/lib/notify/sw.spec.ts loads on its own (no listeners are added
// outside a service worker) and the browser test calls inside the worker.

// Which page a tab shows is not known here: a tab's URL, as a worker sees it, is the one it loaded, not
// where the app has moved since (history.pushState), so a tab opened at /login shows /login while
// in the chat. Every Parley tab counts alike: the root layout opens a clicked thread in any of them.
const parleySw = {
	/**
	 * The notification for a push's body: the JSON `{threadId, title, body}` the server sends, or any
	 * other text as the body. One per thread (tag `thread:<id>`): a newer push replaces the older, as
	 * the server's Topic does in the push service.
	 */
	notificationFor(text) {
		let data = {};
		try {
			const parsed = JSON.parse(text);
			data = parsed && typeof parsed === 'object' ? parsed : { body: String(parsed) };
		} catch {
			data = { body: text };
		}
		const threadId = typeof data.threadId === 'string' && data.threadId ? data.threadId : null;
		return {
			title: typeof data.title === 'string' && data.title ? data.title : 'Parley',
			options: {
				body: typeof data.body === 'string' && data.body ? data.body : 'New message',
				tag: threadId ? `thread:${threadId}` : 'parley',
				data: { threadId }
			}
		};
	},

	/**
	 * True when a Parley page is visible: it tells the user itself (tone, unread count), as it would
	 * had the push come a moment earlier, while the server still saw it visible. Chromium allows a push
	 * without a notification while the site is in the active tab. Only a window that is visible and
	 * still on a Parley URL (under `scope`, the worker's own) counts: a tab that is leaving for another
	 * page (about:blank, another site) may still be listed for a moment with its old state.
	 */
	skipFor(windows, scope) {
		return windows.some((w) => w.visibilityState === 'visible' && typeof w.url === 'string' && w.url.startsWith(scope));
	},

	/**
	 * Where a click on a notification goes: a Parley tab (the focused one, else a visible one, else
	 * any), which moves to the thread itself (src/routes/+layout.svelte), or a new window at the thread.
	 */
	clickTarget(windows, threadId) {
		const page = windows.find((w) => w.focused) ?? windows.find((w) => w.visibilityState === 'visible') ?? windows[0];
		if (page) return { window: page };
		return { open: threadId ? `/app/t/${encodeURIComponent(threadId)}` : '/app' };
	},

	/** How long to wait before looking at the windows again, when they say a Parley page is visible. */
	recheckMs: 300,

	/**
	 * Shows the push's notification unless a Parley page is visible, twice over: a page seen visible
	 * is looked at again `recheckMs` later, since a push that arrives as a tab navigates away may
	 * still see its leaving document (a missed notification is worse than one too many). Resolves to
	 * whether it showed one.
	 */
	async onPush(text) {
		const scope = self.registration.scope;
		const visible = async () => parleySw.skipFor(await self.clients.matchAll({ type: 'window', includeUncontrolled: true }), scope);
		if (await visible()) {
			await new Promise((resolve) => setTimeout(resolve, parleySw.recheckMs));
			if (await visible()) return false;
		}
		const { title, options } = parleySw.notificationFor(text);
		await self.registration.showNotification(title, options);
		return true;
	},

	/** Takes the user to a thread: tells a Parley tab to open it, then focuses that tab; or opens one. */
	async openThread(threadId) {
		const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
		const target = parleySw.clickTarget(windows, threadId);
		if (target.window) {
			target.window.postMessage({ type: 'parley:open-thread', threadId });
			await target.window.focus();
			return;
		}
		await self.clients.openWindow(target.open);
	}
};

if (typeof ServiceWorkerGlobalScope !== 'undefined' && self instanceof ServiceWorkerGlobalScope) {
	self.parleySw = parleySw;
	self.addEventListener('install', () => self.skipWaiting());
	self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
	self.addEventListener('push', (event) => event.waitUntil(parleySw.onPush(event.data ? event.data.text() : '')));
	self.addEventListener('notificationclick', (event) => {
		event.notification.close();
		const threadId = event.notification.data && event.notification.data.threadId;
		event.waitUntil(parleySw.openThread(typeof threadId === 'string' ? threadId : null));
	});
}
