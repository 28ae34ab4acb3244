import { signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

test.describe.configure({ mode: 'parallel' });

// Issue 13: on a phone, Files, Friends and Settings hid the tab bar, and a large "Sign out" took the header.
test('at 360 px every top-level page shows the same bottom tab bar, and Sign out is an item in Settings', async ({ browser, parley, signUp }) => {
	const { alice, a, b } = await twoFriends({ parley, signUp }, ['Alice Phone', 'Bob Phone']);
	a.close();
	b.close();
	const height = 740;
	const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 360, height } });
	const tabs = page.getByRole('navigation', { name: 'Main' });

	for (const [tab, path, heading] of [
		['chats', /\/app$/, null],
		['friends', /\/app\/friends$/, 'Friends'],
		['files', /\/app\/files$/, 'Files'],
		['settings', /\/app\/settings$/, 'Settings'],
		['chats', /\/app$/, null]
	] as const) {
		await tabs.getByTestId(`nav-${tab}`).click();
		await expect(page).toHaveURL(path);
		if (heading) await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
		await expect(tabs, `the tab bar on ${tab}`).toBeInViewport({ ratio: 1 });
		await expect(tabs.getByTestId(`nav-${tab}`)).toHaveAttribute('aria-current', 'page');
		// At the bottom of the screen, the same four tabs.
		const box = (await tabs.boundingBox())!;
		expect(Math.abs(box.y + box.height - height), `the tab bar's bottom on ${tab}`).toBeLessThanOrEqual(1);
		await expect(tabs.getByRole('link')).toHaveText(['Chats', 'Friends', 'Files', 'Settings']);
		// Sign out is nowhere but in Settings.
		await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(tab === 'settings' ? 1 : 0);
	}

	// A thread is full screen (it has its own back button): no tab bar there.
	await page.getByTestId('thread-item').first().click();
	await expect(page).toHaveURL(/\/app\/t\//);
	await expect(tabs).toBeHidden();
	await page.getByRole('link', { name: 'Back to chats' }).click();
	await expect(tabs).toBeInViewport({ ratio: 1 });

	// In Settings, Sign out is an ordinary button inside the page, not in the header.
	await tabs.getByTestId('nav-settings').click();
	const signOut = page.getByRole('button', { name: 'Sign out', exact: true });
	await signOut.scrollIntoViewIfNeeded();
	expect(await signOut.evaluate((el) => !!el.closest('main'))).toBe(true);
	expect((await signOut.boundingBox())!.height).toBeLessThan(56);
	await signOut.click();
	await expect(page).toHaveURL(/\/login$/);
	await context.close();
});

test('on a wide screen the sections sit above the chat list, and Sign out is in Settings', async ({ browser, parley, signUp }) => {
	const alice = await signUp();
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	const tabs = page.getByRole('navigation', { name: 'Main' });
	await expect(tabs).toBeVisible();
	const nav = (await tabs.boundingBox())!;
	const list = (await page.getByRole('complementary', { name: 'Conversations' }).boundingBox())!;
	expect(nav.y + nav.height).toBeLessThanOrEqual(list.y + 1);
	expect(Math.abs(nav.x - list.x)).toBeLessThanOrEqual(1);
	await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(0);
	await tabs.getByTestId('nav-settings').click();
	await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
	await context.close();
});
