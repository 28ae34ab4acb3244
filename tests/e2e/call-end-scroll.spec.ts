import type { Page } from '@playwright/test';
import { worker } from './call-helpers.js';
import { connectBot, sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Issue 13: "After a call ends both people are left scrolled up with 'Jump to latest' covering the
// last message". Two people with a thread long enough to scroll, each looking at its end, a voice
// call started and hung up: afterwards each side shows the call line at the very bottom.
const ci = process.env.CI === 'true' || process.env.CI === '1';

/** Px between the bottom of the message list's view and its end, once two frames have passed. */
function gapBelow(page: Page): Promise<number> {
	return page.getByRole('list', { name: /^Messages with/ }).evaluate(async (el) => {
		await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
		return el.scrollHeight - el.scrollTop - el.clientHeight;
	});
}

for (const { viewport, video } of [
	{ viewport: { width: 1280, height: 800 }, video: true },
	{ viewport: { width: 360, height: 740 }, video: false }
]) {
	const kind = video ? 'video' : 'voice';
	test(`at ${viewport.width} px, after a 1:1 ${kind} call ends both threads are at the bottom with the call line in view and no "Jump to latest"`, async ({ browser, parley, signUp }) => {
		test.skip('error' in worker && !ci, 'no mediasoup worker: run `npm run setup:media`');
		test.setTimeout(180_000);
		const { alice, bob, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Ends', 'Bob Ends']);
		// More than a page (50): older messages are left to load, as in a real chat.
		const texts = Array.from({ length: 60 }, (_, i) => (i % 4 === 0 ? `${'a longer line that wraps '.repeat(4)}${i}` : `short ${i}`));
		await sendAll(a, thread.id, texts.slice(0, 30));
		await sendAll(b, thread.id, texts.slice(30));
		// Both have read everything: each thread opens at its end, not at an unread line.
		await a.request('messages:read', { threadId: thread.id, seq: 60 });
		a.close();
		b.close();

		const sides = [await signedInPage(browser, parley.baseURL, alice, { viewport }), await signedInPage(browser, parley.baseURL, bob, { viewport })];
		for (const { page } of sides) {
			await page.goto(`/app/t/${thread.id}`);
			await expect(page.getByTestId('message-text').filter({ hasText: 'short 59' })).toBeVisible();
			await expect.poll(() => gapBelow(page)).toBeLessThanOrEqual(2);
		}
		const [A, B] = sides.map((s) => s.page);

		await A.getByRole('button', { name: `${video ? 'Video' : 'Voice'} call Bob Ends` }).click();
		await B.getByRole('alertdialog').getByRole('button', { name: `Accept ${kind} call from Alice Ends` }).click();
		for (const page of [A, B]) await expect(page.getByTestId('call-view')).toHaveAttribute('data-phase', 'active', { timeout: 30_000 });
		await A.getByRole('button', { name: 'Hang up' }).click();
		for (const page of [A, B]) await expect(page.getByTestId('call-view')).toBeHidden({ timeout: 15_000 });

		for (const [who, page] of [
			['Alice', A],
			['Bob', B]
		] as const) {
			const line = page.getByTestId('call-line').filter({ hasText: video ? /^Video call · \d+ s$/ : /^Voice call · \d+ s$/ });
			await expect(line, `${who}'s call line`).toBeInViewport({ ratio: 1 });
			await expect(page.getByRole('button', { name: /Jump to latest/ }), `${who}'s "Jump to latest"`).toHaveCount(0);
			await expect.poll(() => gapBelow(page), { message: `px below ${who}'s view` }).toBeLessThanOrEqual(2);
		}
		// And each still follows the end: a message after the call shows at the bottom.
		const c = await connectBot(parley.baseURL, bob);
		await sendAll(c, thread.id, ['Thanks for the call']);
		c.close();
		for (const page of [A, B]) {
			await expect(page.getByTestId('message-text').filter({ hasText: 'Thanks for the call' })).toBeInViewport({ ratio: 1 });
			await expect(page.getByRole('button', { name: /Jump to latest/ })).toHaveCount(0);
		}
		for (const { context } of sides) await context.close();
	});
}
