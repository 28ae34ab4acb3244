import type { Locator, Page } from '@playwright/test';
import { signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Message actions (docs/PROTOCOL.md, "Message actions") in the browser: Alice replies, edits, reacts
// and deletes; both of Bob's pages see each live; Bob's second page, offline during an edit, a delete
// and a reaction, catches up when it is back.

const bubble = (page: Page, text: string): Locator => page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });

async function openMenu(page: Page, message: Locator): Promise<Locator> {
	await message.hover();
	await message.getByRole('button', { name: 'Message actions' }).click();
	const menu = page.getByRole('menu', { name: 'Message actions' });
	await expect(menu).toBeVisible();
	return menu;
}

test('reply, edit, react and delete reach both of Bob\'s pages live; the one that was offline catches up', async ({ browser, parley, signUp }) => {
	test.setTimeout(120_000);
	const { alice, bob, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Acts', 'Bob Sees']);
	await b.request('messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'Lunch at noon?' });
	a.close();
	b.close();

	const A = await signedInPage(browser, parley.baseURL, alice);
	const B1 = await signedInPage(browser, parley.baseURL, bob);
	const B2 = await signedInPage(browser, parley.baseURL, bob, { viewport: { width: 360, height: 740 } });
	for (const p of [A, B1, B2]) await p.page.goto(`/app/t/${thread.id}`);
	const bobs = [B1.page, B2.page];
	await expect(bubble(A.page, 'Lunch at noon?')).toBeVisible();

	// Reply: the quote goes above the composer (Escape cancels it), then into the sent bubble.
	let menu = await openMenu(A.page, bubble(A.page, 'Lunch at noon?'));
	await menu.getByRole('menuitem', { name: 'Reply' }).click();
	const bar = A.page.getByRole('group', { name: 'Replying to Bob Sees' });
	await expect(bar).toContainText('Lunch at noon?');
	const composer = A.page.getByLabel('Message to Bob Sees');
	await expect(composer).toBeFocused();
	await A.page.keyboard.press('Escape');
	await expect(bar).toHaveCount(0);
	menu = await openMenu(A.page, bubble(A.page, 'Lunch at noon?'));
	await menu.getByRole('menuitem', { name: 'Reply' }).click();
	await composer.fill('Yes, see you there');
	await composer.press('Enter');
	await expect(bar).toHaveCount(0);
	for (const page of bobs) {
		await expect(bubble(page, 'Yes, see you there').getByTestId('reply-quote')).toContainText('Lunch at noon?');
	}
	// A click on the quote goes to the original.
	await bubble(B1.page, 'Yes, see you there').getByTestId('reply-quote').click();
	await expect(bubble(B1.page, 'Lunch at noon?')).toBeInViewport();

	// Edit in place: Enter saves; every page shows the new text, marked edited.
	menu = await openMenu(A.page, bubble(A.page, 'Yes, see you there'));
	await menu.getByRole('menuitem', { name: 'Edit' }).click();
	const box = A.page.getByRole('textbox', { name: 'Edit message' });
	await box.fill('Yes, see you at noon');
	await box.press('Enter');
	for (const page of [A.page, ...bobs]) await expect(bubble(page, 'Yes, see you at noon').getByTestId('edited')).toBeVisible();

	// React: a chip with the count and who reacted; Bob's click on it adds his. (The menu also opens
	// on a right click, as a long press does on a phone.)
	await bubble(A.page, 'Lunch at noon?').click({ button: 'right' });
	menu = A.page.getByRole('menu', { name: 'Message actions' });
	await menu.getByRole('menuitem', { name: 'React with 👍' }).click();
	for (const page of bobs) {
		await expect(bubble(page, 'Lunch at noon?').getByTestId('reaction')).toHaveAccessibleName(/^👍 1, from Alice Acts\./);
	}
	await bubble(B1.page, 'Lunch at noon?').getByTestId('reaction').click();
	for (const page of [A.page, B2.page]) {
		await expect(bubble(page, 'Lunch at noon?').getByTestId('reaction')).toHaveAccessibleName(/^👍 2, from /);
	}

	// Bob's second page goes offline; Alice edits again, deletes a message and reacts with another emoji.
	await A.page.getByLabel('Message to Bob Sees').fill('wrong chat, sorry');
	await A.page.getByLabel('Message to Bob Sees').press('Enter');
	for (const page of bobs) await expect(bubble(page, 'wrong chat, sorry')).toBeVisible();
	await B2.context.setOffline(true);

	menu = await openMenu(A.page, bubble(A.page, 'Yes, see you at noon'));
	await menu.getByRole('menuitem', { name: 'Edit' }).click();
	await box.fill('Yes, see you at 12:30');
	await box.press('Enter');
	menu = await openMenu(A.page, bubble(A.page, 'wrong chat, sorry'));
	await menu.getByRole('menuitem', { name: 'Delete' }).click();
	const confirm = A.page.getByRole('dialog', { name: 'Delete this message?' });
	await confirm.getByRole('button', { name: 'Delete for everyone' }).click();
	menu = await openMenu(A.page, bubble(A.page, 'Lunch at noon?'));
	await menu.getByRole('menuitem', { name: 'React with 🙏' }).click();

	// The page still online sees each at once.
	await expect(bubble(B1.page, 'Yes, see you at 12:30')).toBeVisible();
	await expect(bubble(B1.page, 'wrong chat, sorry')).toHaveCount(0);
	await expect(bubble(B1.page, 'Message deleted')).toBeVisible();
	await expect(bubble(B1.page, 'Lunch at noon?').locator('[data-emoji="🙏"]')).toBeVisible();

	// The offline page has none of it yet (so what follows is its catch-up, not a late event).
	await expect(bubble(B2.page, 'Yes, see you at noon')).toBeVisible();
	await expect(bubble(B2.page, 'wrong chat, sorry')).toBeVisible();

	// Back online, the other page catches up on all three.
	await B2.context.setOffline(false);
	await expect(bubble(B2.page, 'Yes, see you at 12:30')).toBeVisible({ timeout: 45_000 });
	await expect(bubble(B2.page, 'wrong chat, sorry')).toHaveCount(0);
	await expect(bubble(B2.page, 'Message deleted')).toBeVisible();
	await expect(bubble(B2.page, 'Lunch at noon?').locator('[data-emoji="🙏"]')).toHaveAccessibleName(/^🙏 1, from Alice Acts\./);
	// And the reply keeps its quote of the original.
	await expect(bubble(B2.page, 'Yes, see you at 12:30').getByTestId('reply-quote')).toContainText('Lunch at noon?');

	for (const p of [A, B1, B2]) await p.context.close();
});
