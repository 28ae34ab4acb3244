import { noWorker } from './call-helpers.js';
import { sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Issue 13: a call's line counted as an unread message: after a missed call the thread list showed a
// badge, the tab title "(1)", and the page chimed. It is a record of the call, not something to read.

test('a missed call leaves its line in the list but no unread badge, title count or tone; a message after it counts one', async ({ browser, parley, signUp }) => {
	// call:invite needs a media node, which needs the worker (no media flows in this test).
	test.skip(noWorker, 'no mediasoup worker on this machine (npm run setup:media)');
	test.setTimeout(90_000);
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Away', 'Bob Ringing']);
	a.close();
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	const item = page.getByTestId('thread-item').filter({ hasText: 'Bob Ringing' });
	const icon = page.locator('link[rel="icon"]');
	// Listed means connected: what comes next arrives live.
	await expect(item).toBeVisible();
	await expect(page).toHaveTitle('Chats · Parley');

	// Bob calls and gives up before Alice answers (no media is needed for that).
	const { call } = await b.request('call:invite', { threadId: thread.id, video: false });
	await b.request('call:cancel', { callId: call.callId });
	await expect(item).toContainText('Missed call from Bob Ringing');
	await expect(item.getByTestId('unread-badge')).toHaveCount(0);
	await expect(page).toHaveTitle('Chats · Parley');
	await expect(icon).toHaveAttribute('data-unread', '0');
	expect(await page.evaluate(() => Number(document.documentElement.dataset.tones ?? 0))).toBe(0);

	// A message after it: one unread, as the server counts it too (the list after a reload).
	await sendAll(b, thread.id, ['Call me back?']);
	await expect(item.getByTestId('unread-badge')).toHaveText('1');
	await expect(page).toHaveTitle('(1) Chats · Parley');
	await expect(icon).toHaveAttribute('data-unread', '1');
	await expect.poll(() => page.evaluate(() => Number(document.documentElement.dataset.tones ?? 0))).toBe(1);
	await page.reload();
	await expect(item.getByTestId('unread-badge')).toHaveText('1');
	await expect(page).toHaveTitle('(1) Chats · Parley');

	// Read, then another missed call: nothing unread again, in the list and in the tab's title.
	await item.click();
	await expect(page.getByTestId('message-text').filter({ hasText: 'Call me back?' })).toBeVisible();
	await expect(page).toHaveTitle(/^Bob Ringing · Parley$/);
	await page.goto('/app');
	await expect(item).toBeVisible();
	const again = await b.request('call:invite', { threadId: thread.id, video: true });
	await b.request('call:cancel', { callId: again.call.callId });
	await expect(item).toContainText('Missed video call from Bob Ringing');
	await expect(item.getByTestId('unread-badge')).toHaveCount(0);
	await expect(page).toHaveTitle('Chats · Parley');
	b.close();
	await context.close();
});
