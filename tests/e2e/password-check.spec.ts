import type { Page } from '@playwright/test';
import { expect, test, uniqueName } from './fixtures.js';

test.describe.configure({ mode: 'parallel' });

const COMMON = 'This is one of the most common passwords; choose another';
const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });
/** The answer to the check of `password` (a check of an earlier value, typed past, does not count). */
const checked = (page: Page, password: string) =>
	page.waitForResponse((res) => res.url().endsWith('/api/auth/password-check') && res.request().method() === 'POST' && res.request().postDataJSON()?.password === password);

/** Types like a person, then checks the live verdict comes and goes with what is typed. */
async function typeCommonThenStrong(page: Page, label: string) {
	const password = field(page, label);
	const answer = checked(page, 'password1');
	await password.pressSequentially('password1', { delay: 30 });
	expect((await answer).status()).toBe(200);
	await expect(password).toHaveAttribute('aria-invalid', 'true');
	await expect(password).toHaveAccessibleDescription(new RegExp(COMMON));
	// Also said out loud, once, through a polite live region.
	await expect(page.locator('[aria-live="polite"]', { hasText: COMMON })).toHaveCount(1);
	await expect(page.locator('.error', { hasText: COMMON })).toBeVisible();

	// Typing goes on undisturbed; the next keystroke clears the verdict until the server answers again.
	await password.pressSequentially(' and horses', { delay: 30 });
	await expect(password).toHaveValue('password1 and horses');
	await expect(password).not.toHaveAttribute('aria-invalid', 'true');

	const good = `Tr0ub4dor & ${uniqueName('horse')}`;
	const strong = checked(page, good);
	await password.fill(good);
	expect(await (await strong).json()).toEqual({ problem: null });
	await expect(password).not.toHaveAttribute('aria-invalid', 'true');
	await expect(page.getByText(COMMON)).toHaveCount(0);
}

test('register: "password1" is flagged as common while typing, a strong password is not', async ({ page }) => {
	const username = uniqueName('pwcheck');
	await page.goto('/register');
	await field(page, 'Email').fill(`${username}@example.test`);
	await field(page, 'Email').press('Enter');
	await expect(field(page, 'Password')).toBeVisible();
	await typeCommonThenStrong(page, 'Password');
});

test('reset password: the new password is checked while typing too', async ({ page }) => {
	await page.goto('/forgot');
	// No account has this email: the page goes on exactly as for one that has.
	await field(page, 'Email').fill(`${uniqueName('nobody')}@example.test`);
	await page.getByRole('button', { name: 'Send code' }).click();
	await expect(field(page, 'New password')).toBeVisible();
	await typeCommonThenStrong(page, 'New password');
});

test('at 360 px the flagged password field fits without sideways scrolling', async ({ page }) => {
	await page.setViewportSize({ width: 360, height: 740 });
	await page.goto('/register');
	await field(page, 'Email').fill(`${uniqueName('narrow')}@example.test`);
	await field(page, 'Email').press('Enter');
	const answer = checked(page, 'password1');
	await field(page, 'Password').pressSequentially('password1', { delay: 30 });
	await answer;
	const error = page.locator('.error', { hasText: COMMON });
	await error.scrollIntoViewIfNeeded();
	await expect(error).toBeInViewport({ ratio: 1 });
	expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
});
