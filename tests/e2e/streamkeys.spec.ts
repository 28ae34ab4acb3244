import type { Page } from '@playwright/test';
import { befriend, connectBot, signedInPage } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';

const noSideScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

// Issue 14: "a per-user stream key shown once in Settings (regenerate to revoke)"; docs/PROTOCOL.md "Stream keys".
test('Settings > Live streaming: generate, copy, shown only once, regenerate with a confirm; fits 360 px', async ({ browser, parley, signUp }) => {
	const [account, friend] = await Promise.all([signUp(), signUp({ displayName: 'Fiona Friend' })]);
	const [me, them] = await Promise.all([account, friend].map((acc) => connectBot(parley.baseURL, acc)));
	const pair = await befriend(me, them);
	const title = uniqueName('Stage');
	const { thread: group } = await me.request('groups:create', { title, memberIds: [them.user.id] });
	me.close();
	them.close();
	const { context, page } = await signedInPage(browser, parley.baseURL, account, { viewport: { width: 360, height: 740 } });
	await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(parley.baseURL).origin });
	await page.getByTestId('nav-settings').click();
	const card = page.getByRole('region', { name: 'Live streaming' });
	await card.scrollIntoViewIfNeeded();
	await expect(card.getByTestId('stream-key-state')).toHaveText('You have no stream key yet.');
	// OBS's Server is the RTMP URL and the chat to go live in (the newest first), picked here.
	const server = card.getByRole('textbox', { name: 'Server' });
	await expect(server).toHaveValue(new RegExp(`^rtmp://[^/]+:1935/live/${group.id}$`));
	await card.getByRole('combobox', { name: 'Go live in' }).selectOption({ label: 'Fiona Friend' });
	await expect(server).toHaveValue(new RegExp(`^rtmp://[^/]+:1935/live/${pair.id}$`));
	await card.getByRole('combobox', { name: 'Go live in' }).selectOption({ label: title });
	await expect(server).toHaveValue(new RegExp(`/live/${group.id}$`));
	await expect(card.getByText('Service: Custom…')).toBeVisible();

	await card.getByRole('button', { name: 'Generate stream key' }).click();
	const keyField = card.getByRole('textbox', { name: 'Stream key' });
	await expect(keyField).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
	const first = await keyField.inputValue();
	await expect(card.getByText('Shown only now.', { exact: false }).first()).toBeVisible();
	await card.getByRole('button', { name: 'Copy Stream key' }).click();
	await expect(card.getByRole('status').filter({ hasText: 'Copied' })).toBeVisible();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);
	await card.getByRole('button', { name: 'Copy Server' }).click();
	await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(await server.inputValue());
	expect(await noSideScroll(page)).toBe(true);

	// After a reload: that a key exists, never the key.
	await page.reload();
	await expect(card.getByTestId('stream-key-state')).toContainText('You have a stream key, made on');
	await expect(card.getByRole('textbox', { name: 'Stream key' })).toHaveCount(0);
	expect(await page.content()).not.toContain(first);

	// Regenerate asks first; cancelling keeps the key.
	await card.getByRole('button', { name: 'Regenerate' }).click();
	const dialog = page.getByRole('dialog', { name: 'Make a new stream key?' });
	await expect(dialog).toContainText('Your current key stops working at once');
	await dialog.getByRole('button', { name: 'Cancel' }).click();
	await expect(dialog).toBeHidden();
	await expect(card.getByRole('textbox', { name: 'Stream key' })).toHaveCount(0);

	await card.getByRole('button', { name: 'Regenerate' }).click();
	await dialog.getByRole('button', { name: 'Regenerate' }).click();
	await expect(dialog).toBeHidden();
	await expect(keyField).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
	expect(await keyField.inputValue()).not.toBe(first);
	expect(await noSideScroll(page)).toBe(true);

	// Delete asks too, and leaves no key.
	await card.getByRole('button', { name: 'Delete key' }).click();
	await page.getByRole('dialog', { name: 'Delete your stream key?' }).getByRole('button', { name: 'Delete key' }).click();
	await expect(card.getByTestId('stream-key-state')).toHaveText('You have no stream key yet.');
	await expect(card.getByRole('textbox', { name: 'Stream key' })).toHaveCount(0);
	await context.close();
});

// Issue 14's mends: a key made or deleted on one device shows on the user's others at once
// (`live:key:changed`), and a key one device shows stops being shown when another replaces it.
test("a regenerate or delete on one device changes the card on the user's other device, which never sees the key", async ({ browser, parley, signUp }) => {
	const account = await signUp();
	const devices = [await signedInPage(browser, parley.baseURL, account), await signedInPage(browser, parley.baseURL, account, { viewport: { width: 360, height: 740 } })];
	const [laptop, phone] = await Promise.all(
		devices.map(async ({ page }) => {
			await page.getByTestId('nav-settings').click();
			const card = page.getByRole('region', { name: 'Live streaming' });
			await expect(card.getByTestId('stream-key-state')).toHaveText('You have no stream key yet.');
			return { page, card, keyField: card.getByRole('textbox', { name: 'Stream key' }) };
		})
	);

	await laptop.card.getByRole('button', { name: 'Generate stream key' }).click();
	await expect(laptop.keyField).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
	const key = await laptop.keyField.inputValue();
	await expect(phone.card.getByTestId('stream-key-state')).toContainText('You have a stream key, made on');
	await expect(phone.keyField).toHaveCount(0);
	expect(await phone.page.content()).not.toContain(key);

	// The phone replaces it: the laptop stops showing the old key, which no longer works.
	await phone.card.getByRole('button', { name: 'Regenerate' }).click();
	await phone.page.getByRole('dialog', { name: 'Make a new stream key?' }).getByRole('button', { name: 'Regenerate' }).click();
	await expect(phone.keyField).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
	const newer = await phone.keyField.inputValue();
	await expect(laptop.keyField).toHaveCount(0);
	await expect(laptop.card.getByTestId('stream-key-state')).toContainText('You have a stream key, made on');
	expect(await laptop.page.content()).not.toContain(newer);

	// The laptop deletes it: the phone's new key goes too.
	await laptop.card.getByRole('button', { name: 'Delete key' }).click();
	await laptop.page.getByRole('dialog', { name: 'Delete your stream key?' }).getByRole('button', { name: 'Delete key' }).click();
	await expect(laptop.card.getByTestId('stream-key-state')).toHaveText('You have no stream key yet.');
	await expect(phone.card.getByTestId('stream-key-state')).toHaveText('You have no stream key yet.');
	await expect(phone.keyField).toHaveCount(0);
	await expect(phone.card.getByRole('button', { name: 'Generate stream key' })).toBeVisible();
	for (const { context } of devices) await context.close();
});
