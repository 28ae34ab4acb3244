import type { Page } from '@playwright/test';
import { sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';

// In-page notifications: the title and favicon count, the tone, desktop notifications.
test.describe.configure({ mode: 'parallel' });

interface Shown {
	title: string;
	body: string;
	tag: string;
}

/** Records every `new Notification(...)` of the page (the real one is still made) in `window.__shown`. */
function recordNotifications(): void {
	const Real = window.Notification;
	const shown: Array<{ title: string; body: string; tag: string; note?: Notification }> = [];
	(window as unknown as { __shown: typeof shown }).__shown = shown;
	class Recording extends Real {
		constructor(title: string, options?: NotificationOptions) {
			super(title, options);
			shown.push({ title, body: options?.body ?? '', tag: options?.tag ?? '', note: this });
		}
	}
	window.Notification = Recording as typeof Notification;
}

const shown = (page: Page): Promise<Shown[]> => page.evaluate(() => (window as unknown as { __shown: Shown[] }).__shown.map(({ title, body, tag }) => ({ title, body, tag })));

/** Makes the page look hidden to itself (a tab in the background), as the browser would say it. */
async function hide(page: Page, hidden = true): Promise<void> {
	await page.evaluate((hidden) => {
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
		Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
		document.dispatchEvent(new Event('visibilitychange'));
	}, hidden);
}

const tones = (page: Page): Promise<number> => page.evaluate(() => Number(document.documentElement.dataset.tones ?? 0));

test('the title and the favicon count unread messages, and a message in another thread plays a tone unless the switch is off', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Quiet', 'Bob Loud']);
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	await expect(page).toHaveTitle('Chats · Parley');
	const icon = page.locator('link[rel="icon"]');
	await expect(icon).toHaveAttribute('href', /favicon\.svg$/);
	// Listed means connected: what comes next arrives live.
	await expect(page.getByTestId('thread-item').filter({ hasText: 'Bob Loud' })).toBeVisible();

	await sendAll(b, thread.id, ['One', 'Two', 'Three']);
	await expect(page).toHaveTitle('(3) Chats · Parley');
	await expect(icon).toHaveAttribute('data-unread', '3');
	await expect(icon).toHaveAttribute('href', /^blob:/);
	// The badged icon is an image the page's CSP lets load (img-src allows blob:; data: it does not).
	const loaded = await page.evaluate(
		() =>
			new Promise<number>((resolve) => {
				const img = new Image();
				img.onload = () => resolve(img.naturalWidth);
				img.onerror = () => resolve(-1);
				img.src = document.querySelector<HTMLLinkElement>('link[rel="icon"]')!.href;
			})
	);
	expect(loaded).toBeGreaterThan(0);
	await expect.poll(() => tones(page)).toBe(3);

	// Reading the thread clears both counts; a message in the thread being read plays nothing.
	await page.getByTestId('thread-item').filter({ hasText: 'Bob Loud' }).click();
	await expect(page).toHaveTitle('Bob Loud · Parley');
	await expect(icon).toHaveAttribute('href', /favicon\.svg$/);
	await sendAll(b, thread.id, ['While reading']);
	await expect(page.getByTestId('message-text').getByText('While reading')).toBeVisible();
	expect(await tones(page)).toBe(3);

	// The switch in Settings, kept for this device.
	await page.getByRole('link', { name: 'Settings' }).first().click();
	const sound = page.getByRole('switch', { name: 'Sound' });
	await expect(sound).toBeChecked();
	await sound.uncheck();
	await page.reload();
	await expect(page.getByRole('switch', { name: 'Sound' })).not.toBeChecked();
	await sendAll(b, thread.id, ['Silent']);
	await expect(page).toHaveTitle('(1) Settings · Parley');
	expect(await tones(page)).toBe(0);
	a.close();
	b.close();
	await context.close();
});

test('a hidden tab shows a desktop notification per thread with the sender and a preview (or none), and its click opens the thread', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Away', 'Bob Sender']);
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	await context.addInitScript(recordNotifications);

	// Never asked on load: a button in Settings asks.
	await page.goto('/app/settings');
	expect(await page.evaluate(() => Notification.permission)).toBe('default');
	await expect(page.getByRole('button', { name: 'Turn on desktop notifications' })).toBeVisible();
	await expect(page.getByRole('switch', { name: 'Desktop notifications' })).toHaveCount(0);
	await context.grantPermissions(['notifications'], { origin: parley.baseURL });
	await page.getByRole('button', { name: 'Turn on desktop notifications' }).click();
	await expect(page.getByRole('switch', { name: 'Desktop notifications' })).toBeChecked();

	// Visible: no notification (the tone and the title say it).
	await sendAll(b, thread.id, ['Seen in the page']);
	await expect(page).toHaveTitle('(1) Settings · Parley');
	expect(await shown(page)).toEqual([]);

	await hide(page);
	await sendAll(b, thread.id, ['Are you there?']);
	await expect.poll(() => shown(page)).toEqual([{ title: 'Bob Sender', body: 'Are you there?', tag: `thread:${thread.id}` }]);

	// Previews hidden: who, not what (the same tag, so it replaces the first).
	await hide(page, false);
	await page.getByRole('switch', { name: 'Hide message previews' }).check();
	await hide(page);
	await sendAll(b, thread.id, ['A secret']);
	await expect.poll(async () => (await shown(page)).at(-1)).toEqual({ title: 'Bob Sender', body: 'New message', tag: `thread:${thread.id}` });

	// The click brings the thread.
	await page.evaluate(() => {
		const last = (window as unknown as { __shown: Array<{ note: Notification }> }).__shown.at(-1)!.note;
		last.onclick?.call(last, new Event('click'));
	});
	await expect(page).toHaveURL(new RegExp(`/app/t/${thread.id}$`));
	await expect(page.getByTestId('message-text').getByText('A secret')).toBeVisible();
	a.close();
	b.close();
	await context.close();
});

test('a muted thread shows its icon and unread count in the list, but adds nothing to the title and plays no tone, until unmuted', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Muting', 'Bob Chatty']);
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	await page.goto(`/app/t/${thread.id}`);
	const menu = page.getByRole('button', { name: 'Notifications for Bob Chatty' });
	await menu.click();
	await page.getByRole('menuitem', { name: 'Mute for 8 hours' }).click();
	const item = page.getByTestId('thread-item').filter({ hasText: 'Bob Chatty' });
	await expect(item.getByTestId('muted-icon')).toBeVisible();
	await expect(page.getByRole('button', { name: 'Notifications for Bob Chatty (muted)' })).toBeVisible();
	// On a 360 px phone the menu still fits in the thread's header beside the call buttons.
	await page.setViewportSize({ width: 360, height: 740 });
	await expect(page.getByRole('button', { name: 'Notifications for Bob Chatty (muted)' })).toBeInViewport({ ratio: 1 });
	expect(await page.getByTestId('thread-header').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
	await page.setViewportSize({ width: 1280, height: 800 });

	await page.goto('/app');
	await expect(item.getByTestId('muted-icon')).toBeVisible();
	await sendAll(b, thread.id, ['Shh one', 'Shh two']);
	await expect(item.getByTestId('unread-badge')).toHaveText('2');
	await expect(page).toHaveTitle('Chats · Parley');
	expect(await tones(page)).toBe(0);

	// Unmuted (here from the keyboard): counted and heard again.
	await item.click();
	const muted = page.getByRole('button', { name: 'Notifications for Bob Chatty (muted)' });
	await muted.focus();
	await page.keyboard.press('ArrowDown');
	await expect(page.getByRole('menuitem', { name: 'Unmute', exact: true })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page.getByRole('button', { name: 'Notifications for Bob Chatty', exact: true })).toBeVisible();
	await page.goto('/app');
	// The list is loaded over the socket: once the thread shows, the page hears new messages live (one
	// sent before that would come with the list, counted but, rightly, silent).
	await expect(item).toBeVisible();
	await expect(item.getByTestId('muted-icon')).toHaveCount(0);
	await sendAll(b, thread.id, ['Loud again']);
	await expect(page).toHaveTitle('(1) Chats · Parley');
	await expect.poll(() => tones(page)).toBe(1);
	a.close();
	b.close();
	await context.close();
});

test('the app registers the service worker; turning push on where the browser cannot says why it failed', async ({ browser, parley, signUp, pageErrors }) => {
	test.setTimeout(90_000);
	pageErrors.allow(
		/^Chrome currently does not support the Push API in incognito mode/,
		"Chromium's own line: Playwright's contexts are incognito-like, where Chromium refuses PushManager.subscribe (and this machine reaches no push service anyway); the page's answer to that is what this test checks"
	);
	const alice = await signUp({ username: uniqueName('alice'), displayName: 'Alice Pushed' });
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	await context.grantPermissions(['notifications'], { origin: parley.baseURL });
	await page.getByRole('link', { name: 'Settings' }).first().click();
	// Registered by the app on load, from our origin under the pages' CSP.
	expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL)).toBe(`${parley.baseURL}/sw.js`);

	// Chromium here cannot subscribe (incognito-like context, no vendor push service offline): the card says so.
	await page.getByRole('button', { name: 'Turn on push on this device' }).click();
	await expect(page.getByTestId('push-setting').getByRole('alert')).toContainText('could not reach its push service');
	await expect(page.getByRole('button', { name: 'Turn on push on this device' })).toBeVisible();

	// Pushes delivered to the worker (shown per thread, skipped while a chat page is visible, clicked): push-sw.spec.ts.
	await context.close();
});
