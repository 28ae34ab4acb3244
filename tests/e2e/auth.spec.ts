import type { Page } from '@playwright/test';
import { expect, test, uniqueName } from './fixtures.js';

test.describe.configure({ mode: 'parallel' });

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

async function signIn(page: Page, login: string, password: string) {
	await field(page, 'Username or email').fill(login);
	await field(page, 'Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Fills the register form up to (not including) the code; returns how many mails had arrived before the send. */
async function startRegistration(page: Page, smtpCount: number, account: { email: string; username: string; displayName: string; password: string }) {
	await page.goto('/register');
	await expect(page).toHaveTitle('Create account · Parley');
	await field(page, 'Email').fill(account.email);
	await page.getByRole('button', { name: 'Send code' }).click();
	await expect(page.getByText(`We sent a 6-digit code to ${account.email}`)).toBeVisible();
	await expect(page.getByRole('button', { name: /Resend in \d:\d\d/ })).toBeVisible();
	await expect(field(page, 'Username')).toBeFocused();
	await field(page, 'Username').fill(account.username);
	await expect(page.getByText(`@${account.username} is available`)).toBeVisible();
	await field(page, 'Display name').fill(account.displayName);
	await field(page, 'Password').fill(account.password);
	return smtpCount;
}

function newAccount() {
	const username = uniqueName('ui');
	return { username, email: `${username}@example.test`, displayName: `Ada ${username}`, password: 'Tr0ub4dor & three horses' };
}

test('registers with the emailed code, lands in the app, signs out, and signs in by username and by email', async ({ page, parley }) => {
	const account = newAccount();
	await page.goto('/');
	await expect(page).toHaveURL(/\/login$/);
	await page.getByRole('link', { name: 'Create an account' }).click();

	const before = await startRegistration(page, parley.smtp.mails.length, account);
	await expect(page.getByText('Strength: strong.')).toBeVisible();
	await field(page, 'Verification code').fill(await parley.smtp.codeFor(account.email, before));
	await field(page, 'Verification code').press('Enter');

	await expect(page).toHaveURL(/\/app$/);
	await expect(page).toHaveTitle('Chats · Parley');
	await expect(page.getByTestId('display-name')).toHaveText(account.displayName);
	await expect(page.getByText(`@${account.username}`)).toBeVisible();
	await expect(page.getByRole('heading', { name: 'No conversations yet' })).toBeVisible();

	// Sign out is in Settings.
	await page.getByTestId('nav-settings').click();
	await page.getByRole('button', { name: 'Sign out', exact: true }).click();
	await expect(page).toHaveURL(/\/login$/);
	await page.goto('/app');
	await expect(page).toHaveURL(/\/login\?next=%2Fapp$/);

	await signIn(page, account.username, account.password);
	await expect(page).toHaveURL(/\/app$/);
	await expect(page.getByTestId('display-name')).toHaveText(account.displayName);

	// Sign out is in Settings.
	await page.getByTestId('nav-settings').click();
	await page.getByRole('button', { name: 'Sign out', exact: true }).click();
	await expect(page).toHaveURL(/\/login$/);
	await signIn(page, account.email.toUpperCase(), account.password);
	await expect(page).toHaveURL(/\/app$/);
	await expect(page.getByText(`@${account.username}`)).toBeVisible();
});

test('a wrong code shows its error beside the code field, and the right one then works', async ({ page, parley }) => {
	const account = newAccount();
	const before = await startRegistration(page, parley.smtp.mails.length, account);
	const code = await parley.smtp.codeFor(account.email, before);
	const codeField = field(page, 'Verification code');
	await codeField.fill(code === '000000' ? '111111' : '000000');
	await page.getByRole('button', { name: 'Create account' }).click();

	await expect(codeField).toHaveAttribute('aria-invalid', 'true');
	await expect(codeField).toHaveAccessibleDescription(/Wrong or expired code; 4 tries left/);
	await expect(codeField).toBeFocused();
	await expect(page).toHaveURL(/\/register$/);

	await codeField.fill(code);
	await expect(codeField).not.toHaveAttribute('aria-invalid', 'true');
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page).toHaveURL(/\/app$/);
});

test('sign-in checks fields before sending, and a wrong password is refused with a visible error', async ({ page, signUp }) => {
	const account = await signUp();
	await page.goto('/login');
	await expect(page).toHaveTitle('Sign in · Parley');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(field(page, 'Username or email')).toHaveAccessibleDescription('Enter your username or email');
	await expect(field(page, 'Username or email')).toBeFocused();
	await expect(field(page, 'Password')).toHaveAttribute('aria-invalid', 'true');

	await signIn(page, account.username, 'not the password');
	await expect(page.getByRole('alert')).toHaveText('Wrong username, email or password');
	await expect(page).toHaveURL(/\/login$/);

	await field(page, 'Password').fill(account.password);
	await page.getByRole('button', { name: 'Show password' }).click();
	await expect(field(page, 'Password')).toHaveAttribute('type', 'text');
	await field(page, 'Password').press('Enter');
	await expect(page).toHaveURL(/\/app$/);
});

test('forgot password: the resend wait is shown, then the code resets the password and only the new one signs in', async ({ page, parley, signUp }) => {
	// Signing up just sent a code to this email, so the first reset code is refused for a while
	// (CODE_RESEND_SECONDS, 20 s in these tests).
	const account = await signUp();
	await page.goto('/login');
	await page.getByRole('link', { name: 'Forgot password?' }).click();
	await expect(page).toHaveTitle('Reset password · Parley');
	await field(page, 'Email').fill(account.email);
	await page.getByRole('button', { name: 'Send code' }).click();
	// Within the first second the full wait is left, which the page words as "1 minute".
	await expect(page.getByRole('alert')).toContainText(/a code was sent to this email a moment ago\. try again in (\d+ seconds?|1 minute)\./i);
	await expect(page.getByRole('button', { name: /Send in \d:\d\d/ })).toBeVisible();

	const sendButton = page.getByRole('button', { name: 'Send code' });
	await expect(sendButton).toBeVisible({ timeout: 30_000 });
	const before = parley.smtp.mails.length;
	await sendButton.click();
	await expect(page.getByText(`If ${account.email} belongs to an account`)).toBeVisible();
	await field(page, 'Verification code').fill(await parley.smtp.codeFor(account.email, before));
	const newPassword = 'a brand new passphrase 42';
	await field(page, 'New password').fill(newPassword);
	await page.getByRole('button', { name: 'Set new password' }).click();
	await expect(page.getByRole('heading', { name: 'Password changed' })).toBeVisible();

	await page.getByRole('link', { name: 'Continue to sign in' }).click();
	await expect(field(page, 'Username or email')).toHaveValue(account.email);
	await field(page, 'Password').fill(account.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('alert')).toHaveText('Wrong username, email or password');

	await field(page, 'Password').fill(newPassword);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(/\/app$/);
	await expect(page.getByTestId('display-name')).toHaveText(account.displayName);
});

test('a taken username is flagged while typing', async ({ page, signUp }) => {
	const taken = await signUp();
	const account = newAccount();
	await page.goto('/register');
	await field(page, 'Email').fill(account.email);
	await field(page, 'Email').press('Enter');
	await field(page, 'Username').fill(taken.username.toUpperCase());
	await expect(field(page, 'Username')).toHaveAccessibleDescription(new RegExp(`@${taken.username.toUpperCase()} is taken`));
});

for (const width of [375, 360]) {
	test(`at ${width} px no page scrolls sideways`, async ({ page, signUp }) => {
		await page.setViewportSize({ width, height: 800 });
		const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
		for (const path of ['/login', '/register', '/forgot']) {
			await page.goto(path);
			await expect(page.locator('h1')).toBeVisible();
			expect(await noSideScroll(), `${path} scrolls sideways`).toBe(true);
		}
		const account = newAccount();
		await page.goto('/register');
		await field(page, 'Email').fill(account.email);
		await page.getByRole('button', { name: 'Send code' }).click();
		await expect(field(page, 'Verification code')).toBeVisible();
		await field(page, 'Username').fill(`${account.username}_with_a_long_tail`.slice(0, 32));
		expect(await noSideScroll(), 'the full register form scrolls sideways').toBe(true);

		const signedUp = await signUp({ displayName: 'A display name long enough to need truncating in the header' });
		await page.goto('/login');
		await signIn(page, signedUp.username, signedUp.password);
		await expect(page.getByRole('heading', { name: 'No conversations yet' })).toBeVisible();
		await expect(page.getByRole('navigation', { name: 'Main' })).toBeInViewport({ ratio: 1 });
		expect(await noSideScroll(), '/app scrolls sideways').toBe(true);
	});
}

test('a common password, or the username as password, is refused beside the password field, and nothing is created', async ({ page, parley, request }) => {
	const account = newAccount();
	const before = await startRegistration(page, parley.smtp.mails.length, { ...account, password: 'password1' });
	await field(page, 'Verification code').fill(await parley.smtp.codeFor(account.email, before));
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(field(page, 'Password')).toHaveAccessibleDescription(/This is one of the most common passwords; choose another/);
	await expect(field(page, 'Password')).toBeFocused();
	await expect(page).toHaveURL(/\/register$/);
	// Checked in the page too (the same rule as the server's), before anything is sent.
	await field(page, 'Password').fill(account.username.toUpperCase());
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(field(page, 'Password')).toHaveAccessibleDescription(/This is your username; choose another password/);
	const free = await request.get(`/api/auth/availability?username=${account.username}`);
	expect(await free.json()).toEqual({ username: true });
	// The code was not spent: a good password goes through with it.
	await field(page, 'Password').fill(account.password);
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page).toHaveURL(/\/app$/);
});

test('an invalid username is flagged while typing, with the server’s own rule', async ({ page }) => {
	const account = newAccount();
	await page.goto('/register');
	await field(page, 'Email').fill(account.email);
	await field(page, 'Email').press('Enter');
	await field(page, 'Username').fill('carol smith');
	await expect(field(page, 'Username')).toHaveAttribute('aria-invalid', 'true');
	await expect(field(page, 'Username')).toHaveAccessibleDescription(/Letters, digits, dot, dash and underscore only/);
	await field(page, 'Username').fill('everyone');
	await expect(field(page, 'Username')).toHaveAccessibleDescription(/is reserved: it mentions everyone in a group/);
	// Too short is not flagged while typing (every name starts short), and a good name clears the error.
	await field(page, 'Username').fill('ca');
	await expect(field(page, 'Username')).not.toHaveAttribute('aria-invalid', 'true');
	await field(page, 'Username').fill(account.username);
	await expect(page.getByText(`@${account.username} is available`)).toBeVisible();
	await expect(field(page, 'Username')).not.toHaveAttribute('aria-invalid', 'true');
});

test('after 5 wrong reset codes, Resend works at once and the burnt code reads as used up', async ({ page, parley, signUp }) => {
	const account = await signUp();
	await page.goto('/forgot');
	await field(page, 'Email').fill(account.email);
	await page.getByRole('button', { name: 'Send code' }).click();
	// Signing up just mailed a code: wait out CODE_RESEND_SECONDS (20 s here).
	await expect(page.getByRole('button', { name: 'Send code' })).toBeVisible({ timeout: 30_000 });
	let before = parley.smtp.mails.length;
	await page.getByRole('button', { name: 'Send code' }).click();
	const code = await parley.smtp.codeFor(account.email, before);
	const resend = page.getByRole('button', { name: /^Resend/ });
	await expect(resend).toBeDisabled();
	await expect(resend).toHaveText(/Resend in 0:[12]\d/);

	const wrong = (n: number) => String((Number(code) + n) % 1_000_000).padStart(6, '0');
	await field(page, 'New password').fill('a brand new passphrase 42');
	for (let i = 1; i <= 5; i++) {
		await field(page, 'Verification code').fill(wrong(i));
		await page.getByRole('button', { name: 'Set new password' }).click();
		await expect(field(page, 'Verification code')).toHaveAccessibleDescription(i < 5 ? new RegExp(`${5 - i} tr(ies|y) left`) : /used up; request a new one, you can do so now/);
	}
	// At once, not after the countdown.
	await expect(resend).toBeEnabled({ timeout: 2_000 });
	await expect(resend).toHaveText('Resend code');
	// The burnt code, right as it is, is said to be used up, not "expired or never sent".
	await field(page, 'Verification code').fill(code);
	await page.getByRole('button', { name: 'Set new password' }).click();
	await expect(field(page, 'Verification code')).toHaveAccessibleDescription(/Too many wrong tries: this code is used up/);
	await expect(page.getByText(/expired or never sent/)).toHaveCount(0);

	before = parley.smtp.mails.length;
	await resend.click();
	const fresh = await parley.smtp.codeFor(account.email, before);
	await field(page, 'Verification code').fill(fresh);
	await page.getByRole('button', { name: 'Set new password' }).click();
	await expect(page.getByRole('heading', { name: 'Password changed' })).toBeVisible();
});
