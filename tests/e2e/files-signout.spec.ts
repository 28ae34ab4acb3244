import { signedInPage } from './chat-helpers.js';
import { expect, test } from './fixtures.js';
import { cutAtTwoMiB, seededTransfer, dropOn, SIZE, twoFriends, useSmallChunks } from './files-helpers.js';

/** The keys tus-js-client stored upload URLs under, in the page's localStorage. */
const tusKeys = (page: import('@playwright/test').Page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tus::')));

test('signing out forgets the unfinished uploads this browser stored: the next person on it inherits none', async ({ browser, parley, signUp }) => {
	test.setTimeout(120_000);
	const { alice, bob, thread } = await twoFriends(parley, signUp, 'Signout');
	const A = await signedInPage(browser, parley.baseURL, alice);
	await useSmallChunks(A.page);
	await A.page.goto(`/app/t/${thread.id}`);
	await expect(A.page.getByLabel('Message to Bob Signout')).toBeVisible();

	// Alice's upload stops at 2 MiB (the network goes): unfinished, its URL stored for resuming.
	const cuts = await cutAtTwoMiB(A.page);
	await dropOn(A.page.getByTestId('thread'), await seededTransfer(A.page, { size: SIZE, seed: 7, name: 'private.bin' }));
	const bubble = A.page.getByTestId('upload-bubble');
	await expect(bubble).toHaveAttribute('data-status', 'offline', { timeout: 60_000 });
	expect(cuts()).toBeGreaterThan(0);
	expect(await tusKeys(A.page)).toHaveLength(1);

	await A.page.getByTestId('nav-settings').click();
	await A.page.getByRole('button', { name: 'Sign out', exact: true }).click();
	await expect(A.page).toHaveURL(/\/login$/);
	expect(await tusKeys(A.page)).toEqual([]);
	// Parley's other settings stay.
	expect(await A.page.evaluate(() => localStorage.getItem('parley.uploadChunkBytes'))).not.toBeNull();

	// Bob signs in on the same browser and opens the same chat: no trace of Alice's upload.
	await A.page.unroute('**/files/*');
	await A.page.getByLabel('Username or email', { exact: true }).fill(bob.username);
	await A.page.getByLabel('Password', { exact: true }).fill(bob.password);
	await A.page.getByRole('button', { name: 'Sign in' }).click();
	await expect(A.page).toHaveURL(/\/app$/);
	await A.page.goto(`/app/t/${thread.id}`);
	await expect(A.page.getByLabel('Message to Alice Signout')).toBeVisible();
	await expect(bubble).toHaveCount(0);
	expect(await tusKeys(A.page)).toEqual([]);
	await A.context.close();
});
