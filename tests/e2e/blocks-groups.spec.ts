import type { Page } from '@playwright/test';
import { befriend, connectBot, sendAll, signedInPage } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';

/** Tones the page played (src/lib/notify/tone.ts counts them on the root element). */
const tones = (page: Page): Promise<number> => page.evaluate(() => Number(document.documentElement.dataset.tones ?? 0));

// docs/PROTOCOL.md "Unfriend and block", in groups: Alice blocked Bob; in Carol's group with both of
// them, Bob's messages are collapsed for Alice, not unread, and his list line hides his words.
test('in a group, messages from someone you blocked are collapsed, not counted, and can be shown', async ({ browser, parley, signUp }) => {
	const [alice, bob, carol] = await Promise.all([signUp({ displayName: 'Alice Blocker' }), signUp({ displayName: 'Bob Blocked' }), signUp({ displayName: 'Carol Host' })]);
	const [a, b, c] = await Promise.all([alice, bob, carol].map((acc) => connectBot(parley.baseURL, acc)));
	await Promise.all([befriend(c, a), befriend(c, b)]);
	const title = uniqueName('Hikers');
	const { thread } = await c.request('groups:create', { title, memberIds: [a.user.id, b.user.id] });
	await a.request('users:block', { userId: b.user.id });
	a.close();

	const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 360, height: 740 } });
	const row = page.getByTestId('thread-item').filter({ hasText: title });
	// The group's first line ("Carol Host created …") is news: one unread.
	await expect(row.getByTestId('unread-badge')).toHaveText('1');

	await sendAll(b, thread.id, [`hey @${alice.username}, secret from Bob`]);
	await sendAll(c, thread.id, ['hello from Carol']);
	await expect(row).toContainText('hello from Carol');
	// Carol's message chimed; Bob's, before it, did not.
	await expect.poll(() => tones(page)).toBe(1);
	await sendAll(b, thread.id, ['Bob again']);
	// His newest line is hidden in the list too, and only Carol's message counts.
	await expect(row).toContainText('Message from someone you blocked');
	await expect(row).not.toContainText('Bob again');
	await expect(row.getByTestId('unread-badge')).toHaveText('2');
	await expect(page).toHaveTitle(/^\(2\) /);
	expect(await tones(page)).toBe(1);
	// The same from the server's count, after a reload.
	await page.reload();
	await expect(row.getByTestId('unread-badge')).toHaveText('2');
	await expect(row).toContainText('Message from someone you blocked');

	await row.click();
	const blocked = page.getByTestId('blocked-message');
	await expect(blocked).toHaveCount(2);
	await expect(page.getByTestId('message-text').filter({ hasText: 'hello from Carol' })).toBeVisible();
	await expect(page.getByText('secret from Bob')).toHaveCount(0);
	await expect(page.getByTestId('message').filter({ hasText: 'secret from Bob' })).toHaveCount(0);
	const show = blocked.first().getByRole('button', { name: 'Show' });
	await expect(show).toHaveAccessibleDescription('Message from someone you blocked');
	expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
	await show.click();
	await expect(page.getByTestId('message-text').filter({ hasText: 'secret from Bob' })).toBeVisible();
	await expect(blocked).toHaveCount(1);
	// His @mention of Alice is not one for her.
	await expect(page.getByTestId('message').filter({ hasText: 'secret from Bob' })).not.toHaveAttribute('data-mentioned', 'true');

	// Carol blocked nobody: she sees Bob's messages as they are.
	const { context: carolContext, page: carolPage } = await signedInPage(browser, parley.baseURL, carol);
	await carolPage.getByTestId('thread-item').filter({ hasText: title }).click();
	await expect(carolPage.getByTestId('message-text').filter({ hasText: 'Bob again' })).toBeVisible();
	await expect(carolPage.getByTestId('blocked-message')).toHaveCount(0);

	b.close();
	c.close();
	await carolContext.close();
	await context.close();
});

// A block or unblock made on another device changes which of a group's messages count, live.
test('unblocking someone makes their unread group messages count again, and blocking stops it', async ({ browser, parley, signUp }) => {
	const [alice, bob, carol] = await Promise.all([signUp({ displayName: 'Alice Twice' }), signUp({ displayName: 'Bob Twice' }), signUp({ displayName: 'Carol Twice' })]);
	const [a, b, c] = await Promise.all([alice, bob, carol].map((acc) => connectBot(parley.baseURL, acc)));
	await Promise.all([befriend(c, a), befriend(c, b)]);
	const title = uniqueName('Climbers');
	const { thread } = await c.request('groups:create', { title, memberIds: [a.user.id, b.user.id] });
	await a.request('users:block', { userId: b.user.id });

	const { context, page } = await signedInPage(browser, parley.baseURL, alice);
	const row = page.getByTestId('thread-item').filter({ hasText: title });
	await expect(row.getByTestId('unread-badge')).toHaveText('1');
	await sendAll(b, thread.id, ['one from Bob', 'two from Bob']);
	await expect(row).toContainText('Message from someone you blocked');
	await expect(row.getByTestId('unread-badge')).toHaveText('1');

	// `a` is Alice's other device.
	await a.request('users:unblock', { userId: b.user.id });
	await expect(row.getByTestId('unread-badge')).toHaveText('3');
	await expect(page).toHaveTitle(/^\(3\) /);
	await a.request('users:block', { userId: b.user.id });
	await expect(row.getByTestId('unread-badge')).toHaveText('1');

	a.close();
	b.close();
	c.close();
	await context.close();
});
