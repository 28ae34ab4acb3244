import type { Page } from '@playwright/test';
import { sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Searching messages (docs/PROTOCOL.md, "Search"): the box in the sidebar, its shortcuts and states,
// the marks, and a result that opens its thread at the message, loading older history to reach it.
test.describe.configure({ mode: 'parallel' });

const results = (page: Page) => page.getByTestId('search-results');

test('Ctrl+K and / focus the search; a hit shows thread, sender and marks, and opens the thread at the message from older history; Esc closes', async ({ browser, parley, signUp }) => {
	test.setTimeout(120_000);
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Finder', 'Bob Planner']);
	// The hit first, then more than a page (50) after it, so the thread opens without it loaded.
	await sendAll(b, thread.id, ['The quokka picnic is on Sunday', '<img src=x onerror="document.title=1"> quokkas *are* "cute" -really'], );
	await sendAll(b, thread.id, Array.from({ length: 28 }, (_, n) => `Bob filler ${n + 1}`));
	await sendAll(a, thread.id, Array.from({ length: 30 }, (_, n) => `Alice filler ${n + 1}`));

	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	const box = page.getByRole('searchbox', { name: 'Search messages' });
	await page.keyboard.press('Control+k');
	await expect(box).toBeFocused();
	await box.fill('QUOKKA pic');
	const hits = results(page).getByTestId('search-hit');
	await expect(hits).toHaveCount(1);
	await expect(hits.first()).toContainText('Bob Planner');
	await expect(hits.first().getByTestId('search-snippet')).toHaveText('The quokka picnic is on Sunday');
	await expect(hits.first().locator('mark')).toHaveText(['quokka', 'pic']);

	// User text is text: the "HTML" and the query syntax are shown as typed, nothing runs.
	await box.fill('"quokkas" -really *are*');
	await expect(hits).toHaveCount(1);
	await expect(hits.first().getByTestId('search-snippet')).toHaveText('<img src=x onerror="document.title=1"> quokkas *are* "cute" -really');
	await expect(results(page).locator('img')).toHaveCount(0);
	await expect(hits.first().locator('mark')).toHaveText(['quokkas', 'are', 'really']);

	// Nothing found, said so; Esc closes the results.
	await box.fill('zebracrossing');
	await expect(results(page).getByTestId('search-empty')).toHaveText('No messages match “zebracrossing”.');
	await box.press('Escape');
	await expect(results(page)).toHaveCount(0);
	await expect(box).not.toBeFocused();

	// "/" from outside a field focuses the box again; the hit opens the thread at seq 1.
	await page.locator('body').press('/');
	await expect(box).toBeFocused();
	await box.fill('quokka picnic');
	await hits.first().click();
	await expect(page).toHaveURL(new RegExp(`/app/t/${thread.id}\\?seq=1$`));
	const target = page.locator('[data-testid="thread"] [data-seq="1"]');
	await expect(target).toContainText('The quokka picnic is on Sunday');
	await expect(target).toBeInViewport();
	await expect(target).toHaveClass(/search-target/);
	expect(await page.title()).not.toBe('1');

	a.close();
	b.close();
	await context.close();
});

test('on a phone the search takes the whole screen, and a hit opens its thread', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Phone', 'Bob Phone']);
	await sendAll(b, thread.id, ['Bring the wombat', 'Something else']);

	const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 360, height: 740 } });
	const box = page.getByRole('searchbox', { name: 'Search messages' });
	await box.click();
	await box.fill('wom');
	await expect(results(page).getByTestId('search-hit')).toHaveCount(1);
	const panel = await page.getByTestId('search').boundingBox();
	expect(panel).toMatchObject({ x: 0, y: 0, width: 360, height: 740 });
	// Nothing sticks out sideways at 360 px.
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
	await page.getByRole('button', { name: 'Close search' }).click();
	await expect(results(page)).toHaveCount(0);
	await box.fill('wombat');
	await results(page).getByTestId('search-hit').click();
	await expect(page).toHaveURL(new RegExp(`/app/t/${thread.id}\\?seq=1$`));
	await expect(page.locator('[data-testid="thread"] [data-seq="1"]')).toBeInViewport();

	a.close();
	b.close();
	await context.close();
});
