import type { Page } from '@playwright/test';
import { sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

test.describe.configure({ mode: 'parallel' });

/** The message list's scroll state, once the fonts are in and two frames have passed. */
async function settled(page: Page) {
	return page.getByRole('list', { name: /^Messages with/ }).evaluate(async (el) => {
		await document.fonts.ready;
		await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
		return { gap: el.scrollHeight - el.scrollTop - el.clientHeight };
	});
}

// Issue 13: "Chats sometimes open a little above the bottom (38 px on the phone, 48 px on desktop
// after a reload, hiding the newest message's time)".
for (const viewport of [
	{ width: 360, height: 740 },
	{ width: 1280, height: 800 }
]) {
	test(`at ${viewport.width} px a thread of mixed heights opens, and reopens after a reload, at the very bottom`, async ({ browser, parley, signUp }) => {
		const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Scroll', 'Bob Scroll']);
		const texts = Array.from({ length: 30 }, (_, i) =>
			i % 5 === 0 ? `Line one of ${i}\nline two\nline three\n${'a long line that wraps on a phone '.repeat(3)}` : i % 3 === 0 ? `${'word '.repeat(40)}${i}` : `short ${i}`
		);
		// Bob's first, then Alice's (sending marks the thread read for her): nothing is unread for her,
		// so the thread opens at its end, not at a "new messages" line.
		await sendAll(b, thread.id, texts.slice(0, 15));
		await sendAll(a, thread.id, texts.slice(15));
		a.close();
		b.close();
		const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport });
		await page.getByTestId('thread-item').filter({ hasText: 'Bob Scroll' }).click();
		const newest = page.getByTestId('message-text').filter({ hasText: 'short 29' });
		await expect(newest).toBeVisible();
		for (const when of ['opened', 'reloaded', 'reloaded again']) {
			const { gap } = await settled(page);
			expect(Math.abs(gap), `px below the view when ${when}`).toBeLessThanOrEqual(2);
			await expect(page.locator('time').last(), `the newest time when ${when}`).toBeInViewport({ ratio: 1 });
			await expect(page.getByRole('button', { name: /Jump to latest/i })).toHaveCount(0);
			await page.reload();
			await expect(newest).toBeVisible();
		}
		await context.close();
	});
}
