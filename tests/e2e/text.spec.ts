import type { Locator, Page } from '@playwright/test';
import { sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';

// What a message's text becomes on screen: links, e-mail addresses and mentions, and nothing else.
test.describe.configure({ mode: 'parallel' });

const bubble = (page: Page, text: string | RegExp): Locator => page.getByTestId('message').filter({ has: page.getByTestId('message-text').filter({ hasText: text }) });

test('URLs, e-mail addresses and @mentions of members become links or chips, HTML and other schemes stay text, lines stay lines', async ({ browser, parley, signUp }) => {
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Links', 'Bob Sender']);
	const text = [
		`Hi @${alice.username}, see https://example.org/a_(b)?q=1. and www.example.com/x!`,
		'Mail ada@example.org or @nobody.',
		'<b>not bold</b> <img src=x onerror="window.pwned=1"> javascript:alert(1) data:text/html,x',
		'',
		'last line'
	].join('\n');
	await sendAll(b, thread.id, [text]);

	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	await page.goto(`/app/t/${thread.id}`);
	const message = bubble(page, 'last line').getByTestId('message-text');
	await expect(message).toBeVisible();

	// Exactly three links, each to where it says, the web ones in a new tab without the opener.
	const links = message.getByRole('link');
	await expect(links).toHaveCount(3);
	const web = message.getByRole('link', { name: 'https://example.org/a_(b)?q=1', exact: true });
	await expect(web).toHaveAttribute('href', 'https://example.org/a_(b)?q=1');
	await expect(web).toHaveAttribute('target', '_blank');
	await expect(web).toHaveAttribute('rel', 'noopener noreferrer');
	const www = message.getByRole('link', { name: 'www.example.com/x', exact: true });
	await expect(www).toHaveAttribute('href', 'https://www.example.com/x');
	await expect(www).toHaveAttribute('rel', 'noopener noreferrer');
	await expect(message.getByRole('link', { name: 'ada@example.org', exact: true })).toHaveAttribute('href', 'mailto:ada@example.org');

	// A member's @name is a chip; a name that is nobody here is text.
	const chips = message.getByTestId('mention');
	await expect(chips).toHaveCount(1);
	await expect(chips).toHaveText(`@${alice.username}`);
	await expect(chips).toHaveAttribute('title', 'Alice Links');

	// No element came from the text, and it reads as sent, line for line.
	await expect(message.locator('b, img, script')).toHaveCount(0);
	expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
	expect(await message.innerText()).toBe(text);
	const lines = await message.evaluate((el) => getComputedStyle(el).whiteSpace);
	expect(lines).toBe('pre-wrap');

	a.close();
	b.close();
	await context.close();
});
