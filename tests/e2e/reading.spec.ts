import type { Locator, Page } from '@playwright/test';
import { sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Reading a thread: the unread line and "Jump to latest".
test.describe.configure({ mode: 'parallel' });

const bubble = (page: Page, text: string): Locator => page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });
const threadItem = (page: Page, name: string): Locator => page.getByTestId('thread-item').filter({ hasText: name });

test('the unread line counts what was unread on opening, moves above what comes in unseen, and "Jump to latest" counts only the others\' messages', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Reader', 'Bob Writer']);
	// Enough of Alice's own (read) history to scroll, then three from Bob she has not read.
	await sendAll(a, thread.id, Array.from({ length: 24 }, (_, n) => `Earlier ${n + 1}`));
	await sendAll(b, thread.id, ['Unread one', 'Unread two', 'Unread three']);

	const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 1280, height: 720 } });
	await page.goto(`/app/t/${thread.id}`);
	const list = page.getByRole('list', { name: 'Messages with Bob Writer' });
	const line = list.locator('[data-key="unread"]');
	await expect(line).toHaveText('3 unread messages');
	await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
	await expect(threadItem(page, 'Bob Writer').getByTestId('unread-badge')).toHaveCount(0);

	// Bob writes while Alice reads along at the end: read as they come, so the line still says three.
	await sendAll(b, thread.id, ['Live one', 'Live two']);
	await expect(bubble(page, 'Live two')).toBeInViewport();
	await expect(threadItem(page, 'Bob Writer').getByTestId('unread-badge')).toHaveCount(0);
	await expect(line).toHaveText('3 unread messages');

	// Scrolled up, her own message from another device is no news for "Jump to latest".
	await list.evaluate((el) => (el.scrollTop = 0));
	const jump = page.getByRole('button', { name: /^Jump to latest/ });
	await expect(jump).toBeVisible();
	await sendAll(a, thread.id, ['Sent from my phone']);
	await expect(threadItem(page, 'Bob Writer')).toContainText('Sent from my phone');
	await expect(jump).toHaveAccessibleName('Jump to latest');

	// Bob's next one is: counted, and the unread line moves above it (not above what she has read).
	await sendAll(b, thread.id, ['Back again']);
	await expect(jump).toHaveAccessibleName('Jump to latest 1 new');
	await jump.click();
	await expect(bubble(page, 'Back again')).toBeInViewport();
	await expect(line).toHaveText('1 unread message');
	await expect(line.locator('xpath=following-sibling::*[1]')).toContainText('Back again');

	a.close();
	b.close();
	await context.close();
});
