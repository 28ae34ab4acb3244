import { NOT_REACHABLE } from '../../src/lib/protocol/index.js';
import { sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Issue 13: "Unfriend and block are missing" (docs/PROTOCOL.md "Unfriend and block").
test('block from the Friends page, unblock from Settings, remove a friend from the thread header', async ({ browser, parley, signUp }) => {
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Blocker', 'Bob Blocked']);
	await sendAll(b, thread.id, ['hello from Bob']);
	a.close();
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	const confirmIn = (title: string) => page.getByRole('dialog', { name: title });

	// Block, from the friend's row.
	await page.getByTestId('nav-friends').click();
	await page.getByRole('button', { name: 'More for Bob Blocked' }).click();
	await page.getByRole('menuitem', { name: 'Block' }).click();
	await expect(confirmIn('Block Bob Blocked?')).toContainText('They are not told');
	await confirmIn('Block Bob Blocked?').getByRole('button', { name: 'Block' }).click();
	await expect(confirmIn('Block Bob Blocked?')).toBeHidden();
	// Bob's send is refused with the neutral words, and Alice sees nothing new.
	await expect(b.request('messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'are you there?' })).rejects.toThrow(NOT_REACHABLE);

	// Settings lists him; Unblock there.
	await page.getByTestId('nav-settings').click();
	const blocked = page.getByRole('list', { name: 'Blocked people' });
	await expect(blocked.getByTestId('blocked-person')).toHaveCount(1);
	await expect(blocked).toContainText('Bob Blocked');
	await blocked.getByRole('button', { name: 'Unblock Bob Blocked' }).click();
	await expect(page.getByText('You have not blocked anyone.')).toBeVisible();
	await b.request('messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'unblocked now' });

	// Remove friend, from the thread header's menu: the thread stays readable, the Friends list empties.
	await page.getByTestId('nav-chats').click();
	await page.getByTestId('thread-item').filter({ hasText: 'Bob Blocked' }).click();
	await expect(page.getByTestId('message-text').filter({ hasText: 'unblocked now' })).toBeVisible();
	await page.getByTestId('thread-header').getByRole('button', { name: 'More for Bob Blocked' }).click();
	await page.getByRole('menuitem', { name: 'Remove friend' }).click();
	await confirmIn('Remove Bob Blocked?').getByRole('button', { name: 'Remove friend' }).click();
	await expect(confirmIn('Remove Bob Blocked?')).toBeHidden();
	await expect(page.getByTestId('message-text').filter({ hasText: 'hello from Bob' })).toBeVisible();
	await expect(b.request('messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'still friends?' })).rejects.toThrow(/no longer friends/);
	await page.getByTestId('nav-friends').click();
	await expect(page.getByText('No friends yet.')).toBeVisible();
	b.close();
	await context.close();
});
