import type { Locator, Page } from '@playwright/test';
import { signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Edit history (docs/PROTOCOL.md, `messages:edits`): the sender's "edited" mark opens the earlier
// texts, on each of the sender's devices; the other person sees a plain mark, no button.

const bubble = (page: Page, text: string): Locator => page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });

async function editTo(page: Page, from: string, to: string): Promise<void> {
	const message = bubble(page, from);
	await message.hover();
	await message.getByRole('button', { name: 'Message actions' }).click();
	await page.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name: 'Edit' }).click();
	const box = page.getByRole('textbox', { name: 'Edit message' });
	await box.fill(to);
	await box.press('Enter');
	await expect(bubble(page, to)).toBeVisible();
}

test('the sender sees the earlier versions on both devices; the other person has no history button', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const { alice, bob, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Edits', 'Bob Reads']);
	await a.request('messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'Meet at 6' });
	a.close();
	b.close();

	const A1 = await signedInPage(browser, parley.baseURL, alice);
	const A2 = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 360, height: 740 } });
	const B = await signedInPage(browser, parley.baseURL, bob);
	for (const p of [A1, A2, B]) await p.page.goto(`/app/t/${thread.id}`);

	await editTo(A1.page, 'Meet at 6', 'Meet at 7');
	await editTo(A1.page, 'Meet at 7', 'Meet at 7:30 by the fountain');

	// Bob: the mark, and no button behind it.
	const bobs = bubble(B.page, 'Meet at 7:30 by the fountain');
	await expect(bobs.getByTestId('edited')).toHaveText('edited');
	await expect(bobs.getByRole('button', { name: /edited/i })).toHaveCount(0);

	// Alice's other device (a phone): the mark is a button; the dialog lists both earlier texts, oldest
	// first, then the current one.
	const mark = bubble(A2.page, 'Meet at 7:30 by the fountain').getByRole('button', { name: 'Edited: show earlier versions' });
	await expect(mark).toHaveAttribute('aria-haspopup', 'dialog');
	await mark.click();
	const dialog = A2.page.getByRole('dialog', { name: 'Edit history' });
	await expect(dialog).toBeVisible();
	const versions = dialog.getByTestId('edit-version');
	await expect(versions).toHaveCount(3);
	await expect(versions.nth(0)).toContainText('Original');
	await expect(versions.nth(0)).toContainText('Meet at 6');
	await expect(versions.nth(1)).toContainText('Edit 1');
	await expect(versions.nth(1)).toContainText('Meet at 7');
	await expect(versions.nth(2)).toContainText('Current');
	await expect(versions.nth(2)).toContainText('Meet at 7:30 by the fountain');
	for (let i = 0; i < 3; i++) await expect(versions.nth(i).locator('time')).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT/);
	// It fits the phone's width.
	const box = await dialog.boundingBox();
	expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);

	// Edited again from the first device while the list is open: the list follows.
	await editTo(A1.page, 'Meet at 7:30 by the fountain', 'Meet at 8');
	await expect(versions).toHaveCount(4);
	await expect(versions.nth(2)).toContainText('Meet at 7:30 by the fountain');
	await expect(versions.nth(3)).toContainText('Meet at 8');

	// Escape closes it and gives focus back to the mark.
	await A2.page.keyboard.press('Escape');
	await expect(dialog).toHaveCount(0);
	await expect(bubble(A2.page, 'Meet at 8').getByRole('button', { name: 'Edited: show earlier versions' })).toBeFocused();

	for (const p of [A1, A2, B]) await p.context.close();
});
