import type { Page } from '@playwright/test';
import { signedInPage } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

// Issue 16: Settings > Devices and Change password, with two browsers of one user.
test('B signs A out from Devices, A lands on the login page told why; a password change signs A out again and keeps B', async ({ browser, parley, signUp }) => {
	const account = await signUp();
	const a = await signedInPage(browser, parley.baseURL, account);
	// B on a phone's width.
	const b = await signedInPage(browser, parley.baseURL, account, { viewport: { width: 390, height: 844 } });

	await b.page.goto('/app/settings');
	const devices = b.page.getByRole('region', { name: 'Devices' });
	const rows = devices.getByTestId('device');
	await expect(rows).toHaveCount(2);
	await expect(rows.first()).toContainText('This device');
	await expect(rows.nth(1)).not.toContainText('This device');
	await expect(rows.first().getByRole('button')).toHaveCount(0);
	await expect(rows.nth(1)).toContainText(/Chrome/);

	await rows.nth(1).getByRole('button', { name: /^Sign out .*Chrom/ }).click();
	await expect(devices.getByRole('status')).toContainText('was signed out');
	await expect(rows).toHaveCount(1);
	await expect(devices.getByTestId('no-other-devices')).toHaveText(/No other devices/);
	await expect(devices.getByRole('button', { name: 'Sign out all other devices' })).toHaveCount(0);

	// A is told at once (session:ended 'revoked') and sent to the login page.
	await expect(a.page).toHaveURL(/\/login\?ended=revoked$/);
	await expect(a.page.getByRole('status')).toContainText('You were signed out from another device');

	// A signs in again; B changes the password.
	await field(a.page, 'Username or email').fill(account.username);
	await field(a.page, 'Password').fill(account.password);
	await a.page.getByRole('button', { name: 'Sign in' }).click();
	await expect(a.page).toHaveURL(/\/app$/);

	const form = b.page.getByRole('form', { name: 'Change password' });
	const newPassword = 'a fresh passphrase for e2e';
	await field(b.page, 'Current password').fill('not the password');
	await field(b.page, 'New password').fill(newPassword);
	await field(b.page, 'Confirm new password').fill(newPassword);
	await form.getByRole('button', { name: 'Change password' }).click();
	await expect(form.getByText('This is not your current password')).toBeVisible();
	await expect(field(b.page, 'Current password')).toBeFocused();

	await field(b.page, 'Current password').fill(account.password);
	await form.getByRole('button', { name: 'Change password' }).click();
	await expect(form.getByRole('status')).toContainText('Your password was changed. 1 other device signed out');
	await expect(field(b.page, 'Current password')).toHaveValue('');

	await expect(a.page).toHaveURL(/\/login\?ended=password_changed$/);
	await expect(a.page.getByRole('status')).toContainText('your password was changed');

	// B is still signed in after a reload, and the new password is the one that works.
	await b.page.reload();
	await expect(b.page.getByRole('region', { name: 'Devices' }).getByTestId('device')).toHaveCount(1);
	await field(a.page, 'Username or email').fill(account.username);
	await field(a.page, 'Password').fill(newPassword);
	await a.page.getByRole('button', { name: 'Sign in' }).click();
	await expect(a.page).toHaveURL(/\/app$/);

	await a.context.close();
	await b.context.close();
});
