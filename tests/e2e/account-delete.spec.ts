import { sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Issue 16: "delete the account (asks the password; … the user's messages stay as "deleted user" for the others)".
test('delete the account from Settings: lands on the login page; the friend reads "Deleted user" and cannot write', async ({ browser, parley, signUp }) => {
	const { alice, bob, a, b, thread } = await twoFriends({ parley, signUp }, ['Dana Leaving', 'Finn Staying']);
	await sendAll(a, thread.id, ['goodbye from Dana']);
	await sendAll(b, thread.id, ['see you, Dana']);
	a.close();
	b.close();
	const A = await signedInPage(browser, parley.baseURL, alice);
	const B = await signedInPage(browser, parley.baseURL, bob);

	// Finn has the chat open while Dana deletes her account.
	await B.page.getByTestId('thread-item').filter({ hasText: 'Dana Leaving' }).click();
	await expect(B.page.getByTestId('message-text').filter({ hasText: 'goodbye from Dana' })).toBeVisible();

	await A.page.getByTestId('nav-settings').click();
	const card = A.page.getByRole('region', { name: 'Delete account' });
	await expect(card).toContainText('cannot be undone');
	await card.getByRole('button', { name: 'Delete account…' }).click();
	const dialog = A.page.getByRole('dialog', { name: 'Delete your account?' });
	await expect(dialog.getByLabel('Your password', { exact: true })).toBeFocused();
	await dialog.getByLabel('Your password', { exact: true }).fill('not the password');
	await dialog.getByRole('button', { name: 'Delete my account' }).click();
	await expect(dialog.getByText('Wrong password')).toBeVisible();
	await dialog.getByLabel('Your password', { exact: true }).fill(alice.password);
	await dialog.getByLabel('Your password', { exact: true }).press('Enter');
	await expect(A.page).toHaveURL(/\/login\?ended=account_deleted$/);
	await expect(A.page.getByText('Your account was deleted.')).toBeVisible();

	// Finn's page: the header and the message stay, under "Deleted user"; the composer gives way to a notice.
	await expect(B.page.getByTestId('thread-header')).toContainText('Deleted user');
	await expect(B.page.getByTestId('message-text').filter({ hasText: 'goodbye from Dana' })).toBeVisible();
	await expect(B.page.getByTestId('thread-closed')).toContainText('This account was deleted');
	await expect(B.page.getByRole('button', { name: 'Send' })).toHaveCount(0);
	await B.page.getByTestId('nav-friends').click();
	await expect(B.page.getByText('No friends yet.')).toBeVisible();

	// The old sign-in no longer works.
	await A.page.getByLabel('Username or email', { exact: true }).fill(alice.username);
	await A.page.getByLabel('Password', { exact: true }).fill(alice.password);
	await A.page.getByRole('button', { name: 'Sign in' }).click();
	await expect(A.page.getByRole('alert')).toContainText(/wrong username, email or password/i);
	await A.context.close();
	await B.context.close();
});
