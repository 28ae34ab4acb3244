import type { Locator, Page } from '@playwright/test';
import { befriend, connectBot, scrollToTopAndMark, sendAll, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';

test.describe.configure({ mode: 'parallel' });

/** The bubble whose text is exactly `text`. */
const bubble = (page: Page, text: string): Locator => page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });
const statusOf = (page: Page, text: string, name: string | RegExp): Locator => bubble(page, text).getByRole('img', { name });
const threadItem = (page: Page, name: string): Locator => page.getByTestId('thread-item').filter({ hasText: name });
const banner = (page: Page): Locator => page.getByTestId('connection-banner');

async function send(page: Page, peerName: string, text: string) {
	const composer = page.getByLabel(`Message to ${peerName}`);
	await composer.fill(text);
	await composer.press('Enter');
	await expect(composer).toHaveValue('');
}

test('two people become friends, chat with ticks and typing, and lose nothing through going offline', async ({ browser, parley, signUp }) => {
	test.setTimeout(120_000);
	const [alice, bob] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: 'Alice Liddell' }),
		signUp({ username: uniqueName('bob'), displayName: 'Bob Builder' })
	]);
	const A = await signedInPage(browser, parley.baseURL, alice);
	const B = await signedInPage(browser, parley.baseURL, bob);
	const dialogs: string[] = [];
	for (const page of [A.page, B.page]) page.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.message())));

	// Alice finds Bob by the start of his username and asks, with a note.
	await A.page.getByRole('link', { name: /^Friends/ }).click();
	await A.page.getByRole('searchbox', { name: 'Search people by username or name' }).fill(bob.username.slice(0, -1));
	// Other tests running at the same time sign up their own Bob Builders: pick this one by username.
	const bobCard = A.page.getByRole('list', { name: 'Search results' }).getByTestId('person').filter({ hasText: `@${bob.username}` });
	await bobCard.getByRole('button', { name: 'Add friend: Bob Builder' }).click();
	const dialog = A.page.getByRole('dialog', { name: 'Add Bob Builder' });
	await expect(dialog.getByLabel('Note (optional)')).toBeFocused();
	await dialog.getByLabel('Note (optional)').fill('Hi Bob, it is Alice from the tea party');
	await dialog.getByRole('button', { name: 'Send request' }).click();
	await expect(dialog).toBeHidden();
	await expect(bobCard.getByText('Requested')).toBeVisible();
	await expect(A.page.getByTestId('outgoing-requests')).toContainText('Bob Builder');

	// Bob sees it arrive without reloading, with the note, and accepts.
	await expect(B.page.getByTestId('nav-friends-badge')).toContainText('1');
	await B.page.getByRole('link', { name: /^Friends/ }).click();
	const request = B.page.getByTestId('incoming-requests').getByTestId('person').filter({ hasText: 'Alice Liddell' });
	await expect(request).toContainText('Hi Bob, it is Alice from the tea party');
	await request.getByRole('button', { name: 'Accept request from Alice Liddell' }).click();
	await expect(B.page.getByTestId('friends-list')).toContainText('Alice Liddell');
	await expect(B.page.getByTestId('nav-friends-badge')).toHaveCount(0);

	// Both have the thread; Alice's search result turns into "Message".
	await expect(threadItem(B.page, 'Alice Liddell')).toBeVisible();
	await expect(threadItem(A.page, 'Bob Builder')).toBeVisible();
	await expect(bobCard.getByRole('button', { name: 'Message Bob Builder' })).toBeVisible();
	await expect(A.page.getByTestId('outgoing-requests')).toHaveCount(0);

	// Alice writes while Bob is online elsewhere in the app: delivered, not read, and unread for Bob.
	await threadItem(A.page, 'Bob Builder').click();
	await expect(A.page.getByTestId('thread-header')).toContainText('Bob Builder');
	await expect(A.page.getByTestId('thread-header')).toContainText(`@${bob.username}`);
	await expect(A.page.getByTestId('thread-header').getByTestId('presence')).toHaveText('online');
	await expect(A.page.getByRole('button', { name: 'Send' })).toBeDisabled();
	await send(A.page, 'Bob Builder', 'Hello Bob!');
	await expect(statusOf(A.page, 'Hello Bob!', 'Delivered')).toBeVisible();
	await expect(threadItem(B.page, 'Alice Liddell').getByTestId('unread-badge')).toHaveText('1');
	await expect(threadItem(B.page, 'Alice Liddell')).toContainText('Hello Bob!');
	await expect(B.page).toHaveTitle(/^\(1\) /);
	await expect(statusOf(A.page, 'Hello Bob!', 'Read')).toHaveCount(0);

	// Bob opens it: the badge clears and Alice's tick turns to read.
	await threadItem(B.page, 'Alice Liddell').click();
	await expect(bubble(B.page, 'Hello Bob!')).toBeVisible();
	await expect(threadItem(B.page, 'Alice Liddell').getByTestId('unread-badge')).toHaveCount(0);
	await expect(B.page).not.toHaveTitle(/^\(/);
	await expect(statusOf(A.page, 'Hello Bob!', 'Read')).toBeVisible();

	// Bob answers; a Shift+Enter line break stays a line break.
	const composerB = B.page.getByLabel('Message to Alice Liddell');
	await composerB.fill('Hi Alice!');
	await composerB.press('Shift+Enter');
	await composerB.pressSequentially('Nice to meet you.');
	await composerB.press('Enter');
	const reply = A.page.getByTestId('message-text').filter({ hasText: 'Nice to meet you.' });
	await expect(reply).toBeVisible();
	expect(await reply.evaluate((el) => el.textContent)).toBe('Hi Alice!\nNice to meet you.');
	await expect(threadItem(A.page, 'Bob Builder')).toContainText('Hi Alice! Nice to meet you.');
	await expect(threadItem(B.page, 'Alice Liddell')).toContainText('You: Hi Alice! Nice to meet you.');

	// Alice types: Bob sees it in the thread header.
	const composerA = A.page.getByLabel('Message to Bob Builder');
	await composerA.pressSequentially('I am typ', { delay: 40 });
	await expect(B.page.getByTestId('thread-header').getByText('typing…')).toBeVisible();
	await composerA.fill('');
	await expect(B.page.getByTestId('thread-header').getByText('typing…')).toBeHidden({ timeout: 8000 });

	// Bob goes offline; Alice sends three; back online, Bob has each exactly once, in order.
	await B.context.setOffline(true);
	await expect(banner(B.page)).toContainText('Reconnecting…');
	for (const text of ['one', 'two', 'three']) await send(A.page, 'Bob Builder', text);
	for (const text of ['one', 'two', 'three']) await expect(statusOf(A.page, text, 'Sent')).toBeVisible();
	await B.context.setOffline(false);
	await expect(bubble(B.page, 'three')).toBeVisible();
	await expect(banner(B.page)).toBeHidden();
	for (const text of ['one', 'two', 'three']) await expect(bubble(B.page, text)).toHaveCount(1);
	const order = (await B.page.getByTestId('message-text').allTextContents()).filter((t) => ['one', 'two', 'three'].includes(t));
	expect(order).toEqual(['one', 'two', 'three']);
	await expect(statusOf(A.page, 'three', 'Read')).toBeVisible();

	// Alice goes offline and writes: a clock, then it goes out by itself once she is back.
	await A.context.setOffline(true);
	await expect(banner(A.page)).toContainText('Reconnecting…');
	await send(A.page, 'Bob Builder', 'written while offline');
	await expect(statusOf(A.page, 'written while offline', 'Sending')).toBeVisible();
	await expect(banner(A.page)).toContainText('1 message waits');
	await A.context.setOffline(false);
	await expect(statusOf(A.page, 'written while offline', /^(Sent|Delivered|Read)$/)).toBeVisible();
	await expect(bubble(B.page, 'written while offline')).toHaveCount(1);
	await expect(bubble(A.page, 'written while offline')).toHaveCount(1);

	// Markup is shown as the text it is.
	const html = '<img src=x onerror=alert(1)><b>bold</b>';
	await send(A.page, 'Bob Builder', html);
	await expect(bubble(B.page, html)).toBeVisible();
	await expect(B.page.locator('[data-testid="message"] b, [data-testid="message"] img')).toHaveCount(0);
	await expect(A.page.locator('[data-testid="message"] b, [data-testid="message"] img')).toHaveCount(0);
	expect(dialogs).toEqual([]);

	await A.context.close();
	await B.context.close();
});

test('a long thread renders only what is on screen, and older pages load above without moving the view', async ({ browser, parley, signUp }) => {
	test.setTimeout(120_000);
	const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Long', 'Bob Long']);
	// Two senders take turns, which halves the wait for the per-user send limit.
	const total = 160;
	// The last 20 are all Bob's: unread for Alice (sending counts as having read what came before).
	for (let n = 1; n <= total; n++) await sendAll(n % 2 === 0 && n <= total - 20 ? a : b, thread.id, [`Message number ${n}${n % 7 === 0 ? '\nwith a second line' : ''}`]);

	const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 1280, height: 720 } });
	await expect(threadItem(page, 'Bob Long').getByTestId('unread-badge')).toHaveText('20');
	await page.goto(`/app/t/${thread.id}`);
	const list = page.getByRole('list', { name: 'Messages with Bob Long' });
	// The thread opens at the unread line, not at the end, and nothing counts as read until the end is seen.
	await expect(list.getByText('20 unread messages')).toBeInViewport();
	const bySeq = (seq: number) => list.locator(`[data-testid="message"][data-seq="${seq}"]`);
	await expect(bySeq(total - 20)).toBeInViewport();
	await expect(bySeq(total - 19)).toBeInViewport();
	await expect(bubble(page, `Message number ${total}`)).not.toBeInViewport();
	await page.waitForTimeout(500);
	await expect(threadItem(page, 'Bob Long').getByTestId('unread-badge')).toHaveText('20');
	await page.getByRole('button', { name: /Jump to latest/ }).click();
	await expect(bubble(page, `Message number ${total}`)).toBeInViewport();
	await expect(threadItem(page, 'Bob Long').getByTestId('unread-badge')).toHaveCount(0);
	const setSize = () => list.getByRole('listitem').first().getAttribute('aria-setsize').then(Number);

	// Scroll to the top again and again: each time an older page comes in above, and the message that
	// was at the top stays exactly where it was on screen.
	let pages = 0;
	// Rows: the messages, the day, the unread line and (at the end) the start of the conversation.
	while ((await setSize()) < total + 3) {
		const before = await setSize();
		const top = await scrollToTopAndMark(list);
		expect(top).not.toBeNull();
		await expect.poll(setSize).toBeGreaterThan(before);
		const anchored = page.locator(`[data-testid="message"][data-seq="${top!.seq}"]`);
		await expect.poll(async () => Math.round((await anchored.boundingBox())!.y - top!.y)).toBe(0);
		pages++;
		expect(pages).toBeLessThan(6);
	}
	expect(pages).toBeGreaterThanOrEqual(3);
	await list.evaluate((el) => (el.scrollTop = 0));
	await expect(page.getByText('This is the beginning of your conversation with Bob Long.')).toBeInViewport();
	await expect(bubble(page, 'Message number 1')).toBeInViewport();
	// Every message is loaded, but only a screenful is in the DOM.
	expect(await setSize()).toBe(total + 3);
	const rendered = await page.getByTestId('message').count();
	expect(rendered).toBeGreaterThan(5);
	expect(rendered).toBeLessThan(total / 2);

	// Scrolled up, a new message shows on the "Jump to latest" button instead of moving the view.
	await sendAll(b, thread.id, ['A new one while you were reading']);
	const jump = page.getByRole('button', { name: /Jump to latest/ });
	await expect(jump).toContainText('1');
	await expect(bubble(page, 'Message number 1')).toBeInViewport();
	await jump.click();
	await expect(bubble(page, 'A new one while you were reading')).toBeInViewport();
	await expect(jump).toBeHidden();
	await expect(page.getByLabel('Message to Bob Long')).toBeFocused();

	a.close();
	b.close();
	await context.close();
});

test('on a 360 px phone: one pane at a time with a back button, drafts kept per thread, the length limit explained', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const [alice, bob, carol] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: 'Alice Phone' }),
		signUp({ username: uniqueName('bob'), displayName: 'Bob With A Rather Long Display Name For Phones' }),
		signUp({ username: uniqueName('carol'), displayName: 'Carol Phone' })
	]);
	const [a, b, c] = await Promise.all([alice, bob, carol].map((acc) => connectBot(parley.baseURL, acc)));
	const withBob = await befriend(a, b);
	const withCarol = await befriend(a, c);
	await sendAll(b, withBob.id, [`A word without spaces: ${'x'.repeat(300)}`]);
	await sendAll(c, withCarol.id, ['Hi from Carol']);
	for (const bot of [a, b, c]) bot.close();

	const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 360, height: 740 } });
	const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

	// The list alone; a thread alone, with a way back.
	await expect(threadItem(page, 'Carol Phone')).toBeVisible();
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeInViewport();
	await threadItem(page, 'Bob With A Rather').click();
	await expect(page.getByTestId('thread-item').first()).toBeHidden();
	await expect(page.getByTestId('message-text').filter({ hasText: 'A word without spaces' })).toBeVisible();
	expect(await noSideScroll(), 'the thread scrolls sideways').toBe(true);
	// The thread fills the screen: its composer sits at the bottom, not mid-screen above blank space.
	const composerBox = await page.getByLabel('Message to Bob With A Rather Long Display Name For Phones').boundingBox();
	expect(740 - (composerBox!.y + composerBox!.height), 'blank space below the composer').toBeLessThan(40);

	// A draft stays with its thread, across threads and a reload.
	await page.getByLabel('Message to Bob With A Rather Long Display Name For Phones').fill('half a thought for Bob');
	await page.getByRole('link', { name: 'Back to chats' }).click();
	await expect(threadItem(page, 'Carol Phone')).toBeVisible();
	await threadItem(page, 'Carol Phone').click();
	const toCarol = page.getByLabel('Message to Carol Phone');
	await expect(toCarol).toHaveValue('');
	await toCarol.fill('for Carol');
	await page.reload();
	await expect(page.getByLabel('Message to Carol Phone')).toHaveValue('for Carol');
	await page.getByRole('link', { name: 'Back to chats' }).click();
	await threadItem(page, 'Bob With A Rather').click();
	await expect(page.getByLabel('Message to Bob With A Rather Long Display Name For Phones')).toHaveValue('half a thought for Bob');

	// Near the limit a counter shows; over it, a clear error and no sending.
	const composer = page.getByLabel('Message to Bob With A Rather Long Display Name For Phones');
	await composer.fill('y'.repeat(3990));
	await expect(page.getByText('10 characters left')).toBeVisible();
	await composer.fill('y'.repeat(4005));
	await expect(page.getByText('Too long: 5 characters over the 4,000 limit.')).toBeVisible();
	await expect(composer).toHaveAttribute('aria-invalid', 'true');
	await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
	await composer.press('Enter');
	await expect(composer).toHaveValue('y'.repeat(4005));
	await composer.fill('');
	expect(await noSideScroll(), 'the composer scrolls sideways').toBe(true);

	// Friends and settings are single panes too, and fit.
	await page.getByRole('link', { name: 'Back to chats' }).click();
	await page.getByRole('link', { name: /^Friends/ }).click();
	await expect(page.getByTestId('friends-list')).toContainText('Carol Phone');
	expect(await noSideScroll(), 'friends scrolls sideways').toBe(true);
	await page.getByRole('link', { name: 'Back to chats' }).click();
	await page.getByRole('link', { name: /^Settings/ }).click();
	await expect(page.getByLabel('Display name', { exact: true })).toHaveValue('Alice Phone');
	expect(await noSideScroll(), 'settings scrolls sideways').toBe(true);
	await context.close();
});

test('a new name reaches friends live; requests can be declined and cancelled; two tabs see what the other sends, and signing out in one explains itself in the other', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const [alice, bob, carol, dave] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: 'Alice Before' }),
		signUp({ username: uniqueName('bob'), displayName: 'Bob Friend' }),
		signUp({ username: uniqueName('carol'), displayName: 'Carol Asks' }),
		signUp({ username: uniqueName('dave'), displayName: 'Dave Asked' })
	]);
	const [a, b, c, d] = await Promise.all([alice, bob, carol, dave].map((acc) => connectBot(parley.baseURL, acc)));
	await befriend(a, b);
	await c.request('friends:request', { userId: a.user.id, message: 'Carol here' });
	await a.request('friends:request', { userId: d.user.id });
	for (const bot of [a, c, d]) bot.close();

	const A = await signedInPage(browser, parley.baseURL, alice);
	const B = await signedInPage(browser, parley.baseURL, bob);

	// Settings: a new display name and bio; Bob's list and thread header follow without a reload.
	await A.page.getByRole('link', { name: /^Settings/ }).click();
	await expect(A.page.getByLabel('Bio', { exact: true })).toBeEnabled();
	await A.page.getByLabel('Display name', { exact: true }).fill('Alice After');
	await A.page.getByLabel('Bio', { exact: true }).fill('Tea, puzzles,\nand rabbits.');
	await expect(A.page.getByText('254 characters left')).toBeAttached();
	await A.page.getByRole('button', { name: 'Save profile' }).click();
	await expect(A.page.getByText('Your profile was saved.')).toBeVisible();
	await expect(A.page.getByTestId('display-name')).toHaveText('Alice After');
	await expect(threadItem(B.page, 'Alice After')).toBeVisible();
	await threadItem(B.page, 'Alice After').click();
	await expect(B.page.getByTestId('thread-header')).toContainText('Alice After');
	await B.page.getByTestId('thread-header').getByTitle('Show profile').click();
	const profile = B.page.getByRole('dialog', { name: 'Alice After' });
	await expect(profile).toContainText('Tea, puzzles,');
	await B.page.keyboard.press('Escape');
	await expect(profile).toBeHidden();
	// An empty name is refused beside the field.
	await A.page.getByLabel('Display name', { exact: true }).fill('   ');
	await A.page.getByRole('button', { name: 'Save profile' }).click();
	await expect(A.page.getByLabel('Display name', { exact: true })).toHaveAttribute('aria-invalid', 'true');

	// Decline Carol; cancel the request to Dave. Each list empties as it goes.
	await A.page.getByRole('link', { name: /^Friends/ }).click();
	await A.page.getByRole('button', { name: 'Decline request from Carol Asks' }).click();
	await expect(A.page.getByTestId('incoming-requests')).toHaveCount(0);
	await A.page.getByRole('button', { name: 'Cancel request to Dave Asked' }).click();
	await expect(A.page.getByTestId('outgoing-requests')).toHaveCount(0);
	await expect(A.page.getByTestId('nav-friends-badge')).toHaveCount(0);

	// Two tabs of one session: signing out in one ends the other, which says why.
	const second = await A.context.newPage();
	await second.goto('/app');
	await expect(threadItem(second, 'Bob Friend')).toBeVisible();
	// What one tab sends shows in the other at once (each tab is a device with its own socket).
	await threadItem(A.page, 'Bob Friend').click();
	await send(A.page, 'Bob Friend', 'sent from the first tab');
	await expect(threadItem(second, 'Bob Friend')).toContainText('You: sent from the first tab');
	await threadItem(second, 'Bob Friend').click();
	await expect(bubble(second, 'sent from the first tab')).toHaveCount(1);
	await expect(bubble(B.page, 'sent from the first tab')).toHaveCount(1);
	await A.page.getByTestId('nav-settings').click();
	await A.page.getByRole('button', { name: 'Sign out', exact: true }).click();
	await expect(A.page).toHaveURL(/\/login$/);
	await expect(second).toHaveURL(/\/login\?ended=logout$/);
	await expect(second.getByText('You were signed out because this session was ended in another tab or window.')).toBeVisible();
	await A.context.close();
	await B.context.close();
});
