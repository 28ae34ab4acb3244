import fs from 'node:fs';
import { befriend, connectBot, signedInPage } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';
import { dropOn, fileCard, pseudoRandom, seededTransfer, sha256 } from './files-helpers.js';

const SIZE = 300_000;

// Issue 13: a file uploaded on the Files page could not be sent to a chat from there.
test('Files page, on a 360 px phone: upload, "Send to chat…", find the chat by typing, send with the keyboard; the page says where it went and the friend gets it live and downloads the same bytes', async ({
	browser,
	parley,
	signUp
}) => {
	test.setTimeout(120_000);
	const tag = 'Send';
	const [alice, bob, carol] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: `Alice ${tag}` }),
		signUp({ username: uniqueName('bob'), displayName: `Bob ${tag}` }),
		signUp({ username: uniqueName('carol'), displayName: `Carol ${tag}` })
	]);
	const [a, b, c] = await Promise.all([connectBot(parley.baseURL, alice), connectBot(parley.baseURL, bob), connectBot(parley.baseURL, carol)]);
	const withBob = await befriend(a, b);
	await befriend(a, c);
	// Carol blocks Alice (Alice is not told): sending to her is refused.
	await c.request('users:block', { userId: a.user.id });
	for (const bot of [a, b, c]) bot.close();

	const A = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 360, height: 740 } });
	const B = await signedInPage(browser, parley.baseURL, bob);
	await B.page.goto(`/app/t/${withBob.id}`);
	await expect(B.page.getByLabel(`Message to Alice ${tag}`)).toBeVisible();

	// Alice uploads on the Files page: it went nowhere yet.
	await A.page.goto('/app/files');
	await dropOn(A.page.getByTestId('drop-zone'), await seededTransfer(A.page, { size: SIZE, seed: 13, name: 'plan.bin' }));
	const row = A.page.getByTestId('file-row').filter({ hasText: 'plan.bin' });
	await expect(row.getByTestId('file-origin')).toHaveText('Uploaded by you · not sent to any chat', { timeout: 30_000 });

	// "Send to chat…" opens a dialog listing her chats, the filter box focused.
	await row.getByRole('button', { name: 'Send plan.bin to a chat' }).click();
	const dialog = A.page.getByRole('dialog', { name: 'Send to chat' });
	await expect(dialog).toBeVisible();
	const filter = dialog.getByRole('searchbox', { name: 'Find a chat' });
	await expect(filter).toBeFocused();
	const chats = dialog.getByRole('list', { name: 'Your chats' });
	await expect(chats.getByRole('button', { name: `Send to Bob ${tag}` })).toBeVisible();
	await expect(chats.getByRole('button', { name: `Send to Carol ${tag}` })).toBeVisible();

	// It fits the phone: inside the viewport, nothing wider than the page.
	const box = (await dialog.boundingBox())!;
	expect(box.x).toBeGreaterThanOrEqual(0);
	expect(box.x + box.width).toBeLessThanOrEqual(360);
	expect(await A.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
	for (const button of await chats.getByRole('button').all()) {
		const b = (await button.boundingBox())!;
		expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width);
	}

	// A refusal is said in the dialog, which stays open; nothing is sent.
	await chats.getByRole('button', { name: `Send to Carol ${tag}` }).click();
	await expect(dialog.getByRole('alert')).toHaveText(`Could not send to Carol ${tag}. This person cannot be reached here right now.`);
	await expect(dialog).toBeVisible();
	await expect(row.getByTestId('file-origin')).toHaveText('Uploaded by you · not sent to any chat');

	// Typing narrows the list; a name that matches nothing says so.
	await filter.fill('zzz');
	await expect(dialog).toContainText('No chat’s name contains “zzz”.');
	await filter.fill('bob');
	await expect(chats.getByRole('button')).toHaveCount(1);
	// Down arrow to the chat, Enter sends.
	await A.page.keyboard.press('ArrowDown');
	await expect(chats.getByRole('button', { name: `Send to Bob ${tag}` })).toBeFocused();
	await A.page.keyboard.press('Enter');

	// The dialog closes; a notice says where it went, with a link to the chat; the row says it too.
	await expect(dialog).toBeHidden();
	const notice = A.page.getByTestId('file-sent');
	await expect(notice).toContainText(`Sent “plan.bin” to Bob ${tag}.`);
	await expect(notice.getByRole('link', { name: 'Open the chat' })).toHaveAttribute('href', `/app/t/${withBob.id}`);
	await expect(row.getByTestId('file-origin')).toHaveText(`Sent to Bob ${tag}`);

	// Bob sees it arrive live in his open chat and downloads the same bytes.
	const bobCard = fileCard(B.page, 'plan.bin');
	await expect(bobCard).toHaveCount(1);
	const [download] = await Promise.all([B.page.waitForEvent('download'), bobCard.getByRole('link', { name: 'Download plan.bin' }).click()]);
	expect(download.suggestedFilename()).toBe('plan.bin');
	expect(sha256(fs.readFileSync((await download.path())!))).toBe(sha256(pseudoRandom(SIZE, 13)));

	// The link takes Alice to the chat, where her file message is.
	await notice.getByRole('link', { name: 'Open the chat' }).click();
	await expect(A.page).toHaveURL(new RegExp(`/app/t/${withBob.id}$`));
	await expect(fileCard(A.page, 'plan.bin')).toHaveCount(1);

	await A.context.close();
	await B.context.close();
});
