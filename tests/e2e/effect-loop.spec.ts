import type { Page } from '@playwright/test';
import { befriend, connectBot, sendAll, signedInPage } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';

// Issue 13: `effect_update_depth_exceeded` in the console, every time a multi-line message was sent.

/** Everything the page says about an effect loop: console lines of any level, and uncaught errors. */
function watchEffectLoops(page: Page): string[] {
	const seen: string[] = [];
	page.on('console', (message) => {
		if (/effect_update_depth_exceeded/.test(message.text())) seen.push(`console.${message.type()}: ${message.text()}`);
	});
	page.on('pageerror', (error) => {
		if (/effect_update_depth_exceeded/.test(`${error.message}\n${error.stack ?? ''}`)) seen.push(`uncaught: ${error.message}`);
	});
	return seen;
}

async function sendMultiLine(page: Page, lines: string[]): Promise<void> {
	const field = page.getByRole('textbox', { name: /^Message to / });
	await field.click();
	for (let i = 0; i < lines.length; i++) {
		if (i > 0) await field.press('Shift+Enter');
		await page.keyboard.insertText(lines[i]);
	}
	await expect(field).toHaveValue(lines.join('\n'));
	await field.press('Enter');
	await expect(field).toHaveValue('');
	const bubble = page.getByTestId('message-text').filter({ hasText: lines[lines.length - 1] });
	await expect(bubble).toHaveCount(1);
	expect(await bubble.innerText()).toBe(lines.join('\n'));
	await expect(page.getByTestId('message').filter({ has: bubble }).getByRole('img', { name: /Sent|Delivered|Read/ })).toBeVisible();
}

test('sending multi-line messages with Shift+Enter, in a thread with history and in an empty one, runs no effect loop', async ({ browser, parley, signUp }) => {
	test.setTimeout(180_000);
	const [alice, bob, carol] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: 'Alice Lines' }),
		signUp({ username: uniqueName('bob'), displayName: 'Bob History' }),
		signUp({ username: uniqueName('carol'), displayName: 'Carol Empty' })
	]);
	const [a, b, c] = await Promise.all([connectBot(parley.baseURL, alice), connectBot(parley.baseURL, bob), connectBot(parley.baseURL, carol)]);
	const [withHistory, empty] = await Promise.all([befriend(a, b), befriend(a, c)]);
	await sendAll(b, withHistory.id, Array.from({ length: 40 }, (_, n) => (n % 3 === 0 ? `History ${n}\nwith a second line` : `History ${n}`)));

	// Bob reads along in his own browser: receipts and typing come back live while Alice sends.
	const bobView = await signedInPage(browser, parley.baseURL, bob);
	await bobView.page.goto(`/app/t/${withHistory.id}`);
	const loops = watchEffectLoops(bobView.page);
	// On a desktop and on a phone (where the thread list and the thread take turns).
	for (const viewport of [{ width: 1280, height: 800 }, { width: 360, height: 740 }]) {
		const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport });
		loops.push(...watchEffectLoops(page));
		await page.goto(`/app/t/${empty.id}`);
		let round = 0;
		for (const [thread, name] of [[withHistory, 'Bob History'], [empty, 'Carol Empty'], [withHistory, 'Bob History']] as const) {
			round++;
			// Opened from the list, as people do (the thread may be loaded already).
			if (viewport.width < 480) await page.goto('/app');
			await page.getByTestId('thread-item').filter({ hasText: name }).click();
			await expect(page).toHaveURL(new RegExp(`/app/t/${thread.id}$`));
			for (let n = 1; n <= 2; n++) await sendMultiLine(page, [`${viewport.width} round ${round} message ${n}`, 'second line', `third line of ${viewport.width}/${round}/${n}.`]);
			// Replies arrive while the list holds the new tall messages.
			const reply = `in two lines ${viewport.width}/${round}.`;
			if (thread.id === empty.id) await sendAll(c, thread.id, [`a reply\n${reply}`]);
			else await sendMultiLine(bobView.page, ['Bob answers', reply]);
			await expect(page.getByTestId('message-text').filter({ hasText: reply })).toBeVisible();
			// Effects run in the frames after a send too: give them a moment to loop, if they do.
			await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
			expect(loops, `effect loops by round ${round} at ${viewport.width} px`).toEqual([]);
		}
		await context.close();
	}

	await bobView.context.close();
	a.close();
	b.close();
	c.close();
});
