/** The Notification API, where the browser has it. */
export function notificationsSupported(): boolean {
	return typeof window !== 'undefined' && 'Notification' in window;
}

/** 'granted', 'denied', 'default', or 'unsupported'. */
export function permission(): NotificationPermission | 'unsupported' {
	return notificationsSupported() ? Notification.permission : 'unsupported';
}

/** Asks the browser for permission (only from a user's click: Settings). */
export async function askPermission(): Promise<NotificationPermission | 'unsupported'> {
	if (!notificationsSupported()) return 'unsupported';
	return Notification.requestPermission();
}

/**
 * Shows one notification per thread (`tag`: a newer one replaces the older); a click focuses the tab
 * and calls `open`.
 */
export function showDesktop(options: { threadId: string; title: string; body: string; open: (threadId: string) => void }): void {
	if (permission() !== 'granted') return;
	try {
		const n = new Notification(options.title, { body: options.body, tag: `thread:${options.threadId}`, icon: '/favicon.svg', data: { threadId: options.threadId } });
		n.onclick = () => {
			window.focus();
			options.open(options.threadId);
			n.close();
		};
	} catch {
		// Chrome on Android allows notifications only from a service worker: the push path covers it.
	}
}
