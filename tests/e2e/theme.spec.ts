import type { Page } from '@playwright/test';
import { signedInPage } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

const LIGHT_BG = 'rgb(244, 245, 250)'; // --bg of the light theme, src/app.css
const DARK_BG = 'rgb(13, 16, 23)';
const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

// Issue 13: "a theme toggle (dark mode follows the system only)".
test('Settings > Appearance: Dark changes the background at once and after a reload, before the first paint; System follows the system', async ({ browser, parley, signUp }) => {
	const account = await signUp();
	const { context, page } = await signedInPage(browser, parley.baseURL, account, { colorScheme: 'light' });
	await page.getByTestId('nav-settings').click();
	const appearance = page.getByRole('group', { name: /Theme/ });
	await expect(appearance.getByRole('radio', { name: 'System' })).toBeChecked();
	expect(await background(page)).toBe(LIGHT_BG);

	await appearance.getByRole('radio', { name: 'Dark' }).check();
	await expect.poll(() => background(page)).toBe(DARK_BG);
	expect(await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe('dark');

	// After a reload the theme is set before <body> exists, so before the first paint and before any
	// app code runs (an observer notes data-theme when the parser adds <body>).
	await page.addInitScript(() => {
		new MutationObserver((_, observer) => {
			if (!document.body) return;
			(window as unknown as { bodyTheme: string }).bodyTheme = document.documentElement.dataset.theme ?? '';
			observer.disconnect();
		}).observe(document, { childList: true, subtree: true });
	});
	await page.reload();
	expect(await page.evaluate(() => (window as unknown as { bodyTheme: string }).bodyTheme)).toBe('dark');
	expect(await background(page)).toBe(DARK_BG);
	await expect(page.getByRole('group', { name: /Theme/ }).getByRole('radio', { name: 'Dark' })).toBeChecked();

	// Light wins over a dark system; System then follows the system, live.
	await page.emulateMedia({ colorScheme: 'dark' });
	await page.getByRole('group', { name: /Theme/ }).getByRole('radio', { name: 'Light' }).check();
	await expect.poll(() => background(page)).toBe(LIGHT_BG);
	await page.getByRole('group', { name: /Theme/ }).getByRole('radio', { name: 'System' }).check();
	await expect.poll(() => background(page)).toBe(DARK_BG);
	await page.emulateMedia({ colorScheme: 'light' });
	await expect.poll(() => background(page)).toBe(LIGHT_BG);
	expect(await page.evaluate(() => localStorage.getItem('parley.theme'))).toBeNull();
	await context.close();
});
