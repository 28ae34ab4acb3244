import { signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// The composer's emoji picker: loaded on first use, its data from our server, under our CSP (the
// pageErrors fixture fails the test on a refused style or script), keyboard and phone friendly.
test.describe.configure({ mode: 'parallel' });

for (const viewport of [
	{ width: 1280, height: 800 },
	{ width: 360, height: 740 }
]) {
	test(`the Emoji button opens a picker that inserts at the caret and closes with Esc (${viewport.width} px)`, async ({ browser, parley, signUp }) => {
		const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Emoji', 'Bob Emoji']);

		const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport });
		const requests: string[] = [];
		page.on('request', (request) => requests.push(request.url()));
		await page.goto(`/app/t/${thread.id}`);
		const field = page.getByRole('textbox', { name: 'Message to Bob Emoji' });
		const button = page.getByRole('button', { name: 'Emoji', exact: true });
		await expect(button).toHaveAttribute('aria-expanded', 'false');
		// Not loaded with the chat.
		expect(requests.filter((url) => /picker|emojibase|data\..*\.json/.test(url))).toEqual([]);

		await field.fill('ab');
		await field.press('ArrowLeft');
		await button.click();
		await expect(button).toHaveAttribute('aria-expanded', 'true');
		const popover = page.getByRole('dialog', { name: 'Choose an emoji' });
		await expect(popover).toBeVisible();
		const search = popover.getByRole('combobox', { name: 'Search' });
		await expect(search).toBeFocused();
		await search.fill('thumbs up');
		await popover.getByRole('option', { name: /thumbs up/i }).first().click();
		await expect(popover).toBeHidden();
		// The picker's thumbs up carries its emoji presentation selector (U+FE0F).
		await expect(field).toHaveValue('a👍\uFE0Fb');
		await expect(field).toBeFocused();
		expect(await field.evaluate((el: HTMLTextAreaElement) => el.selectionStart)).toBe('a👍\uFE0F'.length);

		// The data came from this server, never a CDN.
		const data = requests.filter((url) => url.endsWith('.json'));
		expect(data.length).toBeGreaterThan(0);
		for (const url of data) expect(url.startsWith(parley.baseURL)).toBe(true);
		expect(requests.filter((url) => !url.startsWith(parley.baseURL) && !url.startsWith('ws'))).toEqual([]);

		// Esc closes it and gives the focus back to the button; it fits in the window.
		await button.click();
		await expect(popover).toBeVisible();
		await expect(popover.getByRole('menuitem').first()).toBeVisible();
		const box = await popover.boundingBox();
		expect(box).not.toBeNull();
		expect(box!.x).toBeGreaterThanOrEqual(0);
		expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
		expect(box!.y).toBeGreaterThanOrEqual(0);
		await page.keyboard.press('Escape');
		await expect(popover).toBeHidden();
		await expect(button).toBeFocused();
		await expect(button).toHaveAttribute('aria-expanded', 'false');

		// The message goes as written.
		await field.press('Enter');
		await expect(page.getByTestId('message-text').filter({ hasText: 'a👍\uFE0Fb' })).toBeVisible();

		a.close();
		b.close();
		await context.close();
	});
}
