import { signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Issue 13: "/call-test … link it from a failed call". A call whose microphone is refused fails with
// reason `device`, on this side only, before any media: the cheapest failed call a browser can make.
test('a failed call offers "Test camera and microphone", which opens /call-test', async ({ browser, parley, signUp }) => {
	const { alice, a, b } = await twoFriends({ parley, signUp }, ['Alice Caller', 'Bob Callee']);
	a.close();
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	await context.addInitScript(() => {
		navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
	});
	await page.reload();
	await page.getByTestId('thread-item').filter({ hasText: 'Bob Callee' }).click();
	await page.getByRole('button', { name: 'Voice call Bob Callee' }).click();
	const view = page.getByTestId('call-view');
	await expect(view).toHaveAttribute('data-phase', 'ended');
	const link = view.getByRole('link', { name: 'Test camera and microphone' });
	await expect(link).toBeVisible();
	await link.click();
	await expect(page).toHaveURL(/\/call-test$/);
	b.close();
	await context.close();
});
