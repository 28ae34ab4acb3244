import { signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// Issue 13: a declined call showed "Declined call" as a message from the caller on the decliner's
// side, and the thread list said only "Call". A call's line is a centred line, worded per side.

test("a declined call's line reads right on both sides, in the thread and in the list", async ({ browser, parley, signUp }) => {
	const { alice, bob, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Caller', 'Bob Decliner']);
	// No media is needed for a call that is declined.
	const { call } = await a.request('call:invite', { threadId: thread.id, video: false });
	await b.request('call:decline', { callId: call.callId });
	a.close();
	b.close();

	for (const [account, expected, peer] of [
		[alice, 'Bob Decliner declined your call', 'Bob Decliner'],
		[bob, 'You declined a call from Alice Caller', 'Alice Caller']
	] as const) {
		const { context, page } = await signedInPage(browser, parley.baseURL, account);
		await expect(page.getByTestId('thread-item').filter({ hasText: peer })).toContainText(expected);
		await page.goto(`/app/t/${thread.id}`);
		const line = page.getByTestId('call-line');
		await expect(line).toHaveText(expected);
		// A line of the thread, centred, not a bubble of the caller's.
		await expect(page.getByTestId('message')).toHaveCount(0);
		const [lineBox, listBox] = await Promise.all([line.boundingBox(), page.getByRole('list', { name: `Messages with ${peer}` }).boundingBox()]);
		expect(Math.abs(lineBox!.x + lineBox!.width / 2 - (listBox!.x + listBox!.width / 2))).toBeLessThan(20);
		await context.close();
	}
});
