import type { Locator, Page } from '@playwright/test';
import sharp from 'sharp';
import { befriend, connectBot, sendAll, signedInPage } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';

test.describe.configure({ mode: 'parallel' });

const bubble = (page: Page, text: string): Locator => page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });
const threadItem = (page: Page, name: string): Locator => page.getByTestId('thread-item').filter({ hasText: name });
const systemLine = (page: Page, text: string | RegExp): Locator => page.getByTestId('system-line').filter({ hasText: text });

async function send(page: Page, to: string, text: string) {
	const composer = page.getByLabel(`Message to ${to}`);
	await composer.fill(text);
	await composer.press('Enter');
	await expect(composer).toHaveValue('');
}

test('three people in a group chat, read receipts and mentions, and one removed sees the group vanish while the others go on', async ({ browser, parley, signUp }) => {
	test.setTimeout(120_000);
	const [alice, bob, carol] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: 'Alice Group' }),
		signUp({ username: uniqueName('bob'), displayName: 'Bob Group' }),
		signUp({ username: uniqueName('carol'), displayName: 'Carol Group' })
	]);
	// Alice is friends with both; Bob and Carol do not know each other.
	const [a, b, c] = await Promise.all([alice, bob, carol].map((acc) => connectBot(parley.baseURL, acc)));
	await befriend(a, b);
	await befriend(a, c);
	for (const bot of [a, b, c]) bot.close();

	const A = await signedInPage(browser, parley.baseURL, alice);
	const B = await signedInPage(browser, parley.baseURL, bob);
	const C = await signedInPage(browser, parley.baseURL, carol);
	const title = `Hikers ${uniqueName('g')}`;

	// Alice makes the group from the list: a title is required, friends are picked through a filter.
	await A.page.getByRole('button', { name: 'New group' }).click();
	const dialog = A.page.getByRole('dialog', { name: 'New group' });
	await expect(dialog.getByLabel('Title')).toBeFocused();
	await dialog.getByRole('button', { name: 'Create group' }).click();
	await expect(dialog.getByText('Give the group a title.')).toBeVisible();
	await expect(dialog.getByText('Pick at least one friend.')).toBeVisible();
	await dialog.getByLabel('Title').fill(title);
	await expect(dialog.getByText(`${title.length} / 100`)).toBeVisible();
	await dialog.getByRole('searchbox', { name: 'Search friends' }).fill('Bob');
	await expect(dialog.getByRole('checkbox')).toHaveCount(1);
	await dialog.getByRole('checkbox', { name: /Bob Group/ }).check();
	await dialog.getByRole('searchbox', { name: 'Search friends' }).fill('');
	await dialog.getByRole('checkbox', { name: /Carol Group/ }).check();
	await expect(dialog.getByText('2 people picked')).toBeVisible();
	// A picture, cropped before the group exists and sent once it does.
	const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 30, g: 120, b: 200 } } })
		.png()
		.toBuffer();
	await dialog.getByLabel('Picture file').setInputFiles({ name: 'hills.png', mimeType: 'image/png', buffer: png });
	await dialog.getByRole('button', { name: 'Use this photo' }).click();
	await expect(dialog.getByRole('button', { name: 'Change picture' })).toBeVisible();
	await expect(dialog.getByLabel('Title')).toHaveValue(title);
	await dialog.getByRole('button', { name: 'Create group' }).click();
	await expect(dialog).toBeHidden();
	await expect(A.page).toHaveURL(/\/app\/t\//);
	const header = A.page.getByTestId('thread-header');
	await expect(header).toContainText(title);
	await expect(header.getByTestId('member-count')).toHaveText('3 members');
	await expect(systemLine(A.page, `Alice Group created the group “${title}” with Bob Group and Carol Group`)).toBeVisible();
	await expect(systemLine(A.page, 'Alice Group changed the group picture')).toBeVisible();
	await expect(header.locator('[data-avatar]')).toHaveAttribute('data-avatar', 'image');

	// Bob and Carol find it in their lists without reloading, with the system line as its preview.
	for (const P of [B, C]) {
		await expect(threadItem(P.page, title)).toContainText('changed the group picture');
		await expect(threadItem(P.page, title).getByTestId('unread-badge')).toHaveText('2');
		await threadItem(P.page, title).click();
		await expect(threadItem(P.page, title).getByTestId('unread-badge')).toHaveCount(0);
		await expect(systemLine(P.page, 'created the group')).toBeVisible();
	}

	// Who is typing shows in the others' headers by name.
	await B.page.getByLabel(`Message to ${title}`).pressSequentially('Hi');
	await expect(header.getByTestId('typing')).toHaveText('Bob Group is typing…');
	await B.page.getByLabel(`Message to ${title}`).fill('');

	// Everyone writes; everyone sees everyone, each line under its sender's name.
	await send(A.page, title, 'Morning, hikers!');
	await send(B.page, title, 'Hi all, Bob here');
	await send(C.page, title, 'Carol says hello');
	for (const P of [A, B, C]) {
		for (const text of ['Morning, hikers!', 'Hi all, Bob here', 'Carol says hello']) await expect(bubble(P.page, text)).toBeVisible();
	}
	await expect(A.page.getByTestId('message').filter({ hasText: 'Carol says hello' })).toContainText('Carol Group');

	// Bob and Carol have the thread open: Alice's message is read by both, and she can see by whom.
	await send(A.page, title, 'Who has read this?');
	const readBy = bubble(A.page, 'Who has read this?').getByTestId('read-by');
	await expect(readBy).toHaveText('Read by 2');
	await expect(bubble(A.page, 'Who has read this?').getByRole('img', { name: 'Read' })).toBeVisible();
	await readBy.click();
	const info = A.page.getByRole('dialog', { name: 'Message info' });
	await expect(info.getByTestId('readers-list')).toContainText('Bob Group');
	await expect(info.getByTestId('readers-list')).toContainText('Carol Group');
	await info.getByRole('button', { name: 'Close' }).click();

	// Mentions: Bob picks Alice from what "@" offers; her copy of the message is highlighted.
	const toGroup = B.page.getByLabel(`Message to ${title}`);
	await toGroup.fill('');
	await toGroup.pressSequentially('look @Ali');
	const offer = B.page.getByRole('listbox', { name: 'Mention someone' });
	await expect(offer.getByRole('option', { name: /Alice Group/ })).toBeVisible();
	await toGroup.press('Enter');
	await expect(toGroup).toHaveValue(`look @${alice.username} `);
	await toGroup.pressSequentially('up here');
	await toGroup.press('Enter');
	const mentioned = A.page.getByTestId('message').filter({ hasText: 'up here' });
	await expect(mentioned).toHaveAttribute('data-mentioned', 'true');
	await expect(C.page.getByTestId('message').filter({ hasText: 'up here' })).not.toHaveAttribute('data-mentioned', 'true');

	// Bob sees Carol online in the members panel, though they are not friends (they share the group).
	await B.page.getByTestId('thread-header').getByRole('button', { name: /show members/ }).click();
	const carolForBob = B.page.getByRole('dialog', { name: 'Members' }).getByTestId('member').filter({ hasText: 'Carol Group' });
	await expect(carolForBob.getByTestId('online-dot')).toBeVisible();
	await expect(carolForBob).toContainText('online');
	await B.page.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Close' }).click();

	// Alice removes Carol, through the members panel, a menu and a confirmation.
	await header.getByRole('button', { name: /show members/ }).click();
	const panel = A.page.getByRole('dialog', { name: 'Members' });
	await expect(panel.getByTestId('member')).toHaveCount(3);
	await expect(panel.getByTestId('member').filter({ hasText: 'Alice Group' }).getByTestId('role-badge')).toHaveText('Owner');
	await panel.getByRole('button', { name: 'Actions for Carol Group' }).click();
	await A.page.getByRole('menuitem', { name: 'Remove from group' }).click();
	const confirm = A.page.getByRole('dialog', { name: 'Remove Carol Group?' });
	await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
	await expect(A.page.getByRole('dialog', { name: 'Members' }).getByTestId('member')).toHaveCount(2);
	await A.page.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Close' }).click();
	await expect(header.getByTestId('member-count')).toHaveText('2 members');

	// Carol is taken back to her list, told why, and the group is gone from it.
	await expect(C.page).toHaveURL(/\/app$/);
	await expect(C.page.getByTestId('thread-notice')).toHaveText(`You were removed from ${title}`);
	await expect(threadItem(C.page, title)).toHaveCount(0);

	// Alice and Bob go on; the removal is a line in their conversation.
	await expect(systemLine(B.page, 'Alice Group removed Carol Group')).toBeVisible();
	await send(B.page, title, 'Just the two of us now');
	await expect(bubble(A.page, 'Just the two of us now')).toBeVisible();
	await send(A.page, title, 'Onwards');
	await expect(bubble(B.page, 'Onwards')).toBeVisible();
	// Nothing more reaches Carol, even after a reload.
	await C.page.reload();
	await expect(C.page.getByTestId('thread-item').first()).toBeVisible();
	await expect(threadItem(C.page, title)).toHaveCount(0);

	// Bob is a member: he sees who is in, and can leave, but has nothing to change.
	await B.page.getByTestId('thread-header').getByRole('button', { name: /show members/ }).click();
	const bobsPanel = B.page.getByRole('dialog', { name: 'Members' });
	await expect(bobsPanel.getByTestId('member')).toHaveCount(2);
	await expect(bobsPanel.getByRole('button', { name: 'Leave group' })).toBeVisible();
	await expect(bobsPanel.getByRole('button', { name: 'Add people' })).toHaveCount(0);
	await expect(bobsPanel.getByRole('button', { name: /^Actions for/ })).toHaveCount(0);
	await bobsPanel.getByRole('button', { name: 'Close' }).click();

	// Alice adds Carol back and renames the group: Carol finds it again, history and all.
	await header.getByRole('button', { name: /show members/ }).click();
	await A.page.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Add people' }).click();
	const adding = A.page.getByRole('dialog', { name: 'Add people' });
	await expect(adding.getByRole('checkbox')).toHaveCount(1);
	await adding.getByRole('checkbox', { name: /Carol Group/ }).check();
	await adding.getByRole('button', { name: 'Add to group' }).click();
	await expect(A.page.getByRole('dialog', { name: 'Members' }).getByTestId('member')).toHaveCount(3);
	await A.page.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Edit title and topic' }).click();
	const editing = A.page.getByRole('dialog', { name: 'Edit group' });
	await editing.getByLabel('Title').fill('');
	await editing.getByRole('button', { name: 'Save' }).click();
	await expect(editing.getByText('Give the group a title.')).toBeVisible();
	const renamed = `${title} again`;
	await editing.getByLabel('Title').fill(renamed);
	await editing.getByRole('button', { name: 'Save' }).click();
	await expect(A.page.getByRole('dialog', { name: 'Members' })).toBeVisible();
	await A.page.keyboard.press('Escape');
	await expect(header).toContainText(renamed);
	await expect(systemLine(B.page, `Alice Group renamed the group “${renamed}”`)).toBeVisible();
	await expect(B.page.getByTestId('thread-header')).toContainText(renamed);
	// A new picture for the group: cropped, sent, and shown to the others with a line saying so.
	await header.getByRole('button', { name: /show members/ }).click();
	await A.page.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Change picture' }).click();
	await A.page.getByRole('dialog', { name: 'Group picture' }).getByLabel('Photo file').setInputFiles({ name: 'hills.png', mimeType: 'image/png', buffer: png });
	await A.page.getByRole('dialog', { name: 'Crop the group picture' }).getByRole('button', { name: 'Use this photo' }).click();
	await expect(A.page.getByRole('dialog', { name: 'Group picture' }).getByText('The group picture is saved')).toBeVisible();
	await A.page.getByRole('dialog', { name: 'Group picture' }).getByRole('button', { name: 'Back' }).click();
	await A.page.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Close' }).click();
	await expect(systemLine(B.page, 'Alice Group changed the group picture')).toHaveCount(2);
	await expect(B.page.getByTestId('thread-header').locator('[data-avatar]')).toHaveAttribute('data-avatar', 'image');
	await expect(threadItem(B.page, renamed).locator('[data-avatar]')).toHaveAttribute('data-avatar', 'image');

	await threadItem(C.page, renamed).click();
	await expect(bubble(C.page, 'Just the two of us now')).toBeVisible();
	await expect(systemLine(C.page, 'Alice Group added Carol Group')).toBeVisible();

	for (const P of [A, B, C]) await P.context.close();
});

test('on a 360 px phone: the group header, the members panel with its menus, and leaving', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const [alice, bob, carol] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: 'Alice Pocket' }),
		signUp({ username: uniqueName('bob'), displayName: 'Bob With A Rather Long Display Name For Phones' }),
		signUp({ username: uniqueName('carol'), displayName: 'Carol Pocket' })
	]);
	const [a, b, c] = await Promise.all([alice, bob, carol].map((acc) => connectBot(parley.baseURL, acc)));
	await befriend(a, b);
	await befriend(a, c);
	const title = `A group title long enough to be cut short on a small phone ${uniqueName('g')}`;
	const { thread } = await a.request('groups:create', { title, memberIds: [b.user.id, c.user.id], topic: 'Walks on weekends' });
	// Bob mentions Alice before she signs in (the server's count), Carol says @everyone (a member: no mention).
	await sendAll(b, thread.id, [`@${alice.username} are you coming?`]);
	await sendAll(c, thread.id, ['@everyone hello']);
	for (const bot of [a, c]) bot.close();

	const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 360, height: 740 } });
	const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

	// The list marks the group where she was mentioned, and counts a live mention too.
	await expect(threadItem(page, title).getByTestId('mention-badge')).toHaveAttribute('title', '1 mention');
	await sendAll(b, thread.id, [`and bring water, @${alice.username.toUpperCase()}.`]);
	await expect(threadItem(page, title).getByTestId('mention-badge')).toHaveAttribute('title', '2 mentions');
	await expect(threadItem(page, title)).toHaveAttribute('aria-label', /2 mentions/);
	b.close();

	await threadItem(page, title).click();
	await expect(page.getByTestId('message').filter({ hasText: 'are you coming?' })).toHaveAttribute('data-mentioned', 'true');
	await expect(page.getByTestId('message').filter({ hasText: '@everyone hello' })).not.toHaveAttribute('data-mentioned', 'true');
	await expect(threadItem(page, title).getByTestId('mention-badge')).toHaveCount(0);
	const header = page.getByTestId('thread-header');
	await expect(header.getByRole('link', { name: 'Back to chats' })).toBeVisible();
	await expect(header.getByTestId('member-count')).toHaveText('3 members');
	await expect(page.getByTestId('thread-item').first()).toBeHidden();
	expect(await noSideScroll(), 'the group scrolls sideways').toBe(true);

	// The members panel fits the screen; the keyboard opens a member's menu and moves in it.
	await header.getByRole('button', { name: /show members/ }).click();
	const panel = page.getByRole('dialog', { name: 'Members' });
	await expect(panel).toContainText('Walks on weekends');
	const box = await panel.boundingBox();
	expect(box && box.x >= 0 && box.x + box.width <= 360, `the panel fits 360 px (${JSON.stringify(box)})`).toBe(true);
	const actions = panel.getByRole('button', { name: 'Actions for Bob With A Rather Long Display Name For Phones' });
	await actions.focus();
	await actions.press('Enter');
	await expect(page.getByRole('menuitem', { name: 'Make admin' })).toBeFocused();
	await page.keyboard.press('ArrowDown');
	await expect(page.getByRole('menuitem', { name: 'Make owner' })).toBeFocused();
	await page.keyboard.press('Escape');
	await expect(page.getByRole('menu')).toHaveCount(0);
	await expect(actions).toBeFocused();
	await expect(panel).toBeVisible();
	await actions.click();
	await page.getByRole('menuitem', { name: 'Make admin' }).click();
	await page.getByRole('dialog', { name: /Make Bob With .* an admin\?/ }).getByRole('button', { name: 'Make admin' }).click();
	const bobRow = page.getByRole('dialog', { name: 'Members' }).getByTestId('member').filter({ hasText: 'Bob With A Rather' });
	await expect(bobRow.getByTestId('role-badge')).toHaveText('Admin');
	// Back in the list, the focus is where it was.
	await expect(actions).toBeFocused();
	// A confirmation can be turned down, from the keyboard too.
	const carolsActions = page.getByRole('button', { name: 'Actions for Carol Pocket' });
	await carolsActions.focus();
	await page.keyboard.press('ArrowUp');
	await expect(page.getByRole('menuitem', { name: 'Remove from group' })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page.getByRole('dialog', { name: 'Remove Carol Pocket?' }).getByRole('button', { name: 'Remove', exact: true })).toBeFocused();
	await page.getByRole('dialog', { name: 'Remove Carol Pocket?' }).getByRole('button', { name: 'Cancel' }).click();
	await expect(carolsActions).toBeFocused();
	await expect(page.getByRole('dialog', { name: 'Members' }).getByTestId('member')).toHaveCount(3);
	expect(await noSideScroll(), 'the members panel scrolls sideways').toBe(true);

	// Leaving asks first, then goes back to the list with a note, and the group is gone from it.
	await page.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Leave group' }).click();
	await page.getByRole('dialog', { name: `Leave ${title}?` }).getByRole('button', { name: 'Leave group' }).click();
	await expect(page).toHaveURL(/\/app$/);
	await expect(page.getByTestId('thread-notice')).toHaveText(`You left ${title}`);
	await expect(threadItem(page, title)).toHaveCount(0);
	expect(await noSideScroll(), 'the list scrolls sideways').toBe(true);
	await context.close();
});

test('removed while offline: after reconnecting the groups are gone, the open one with a notice', async ({ browser, parley, signUp }) => {
	test.setTimeout(90_000);
	const [alice, carol] = await Promise.all([signUp({ username: uniqueName('alice'), displayName: 'Alice Away' }), signUp({ username: uniqueName('carol'), displayName: 'Carol Away' })]);
	const [a, c] = await Promise.all([alice, carol].map((acc) => connectBot(parley.baseURL, acc)));
	await befriend(a, c);
	const open = `Open group ${uniqueName('g')}`;
	const closed = `Other group ${uniqueName('g')}`;
	const { thread: first } = await a.request('groups:create', { title: open, memberIds: [c.user.id] });
	const { thread: second } = await a.request('groups:create', { title: closed, memberIds: [c.user.id] });
	c.close();

	const C = await signedInPage(browser, parley.baseURL, carol);
	await expect(threadItem(C.page, closed)).toBeVisible();
	await threadItem(C.page, open).click();
	await expect(systemLine(C.page, 'created the group')).toBeVisible();

	// Carol's connection drops; meanwhile she is removed from both, and misses the events.
	await C.context.setOffline(true);
	await expect(C.page.getByTestId('connection-banner')).toBeVisible();
	await a.request('groups:remove', { threadId: first.id, userId: c.user.id });
	await a.request('groups:remove', { threadId: second.id, userId: c.user.id });
	await C.context.setOffline(false);

	await expect(C.page).toHaveURL(/\/app$/);
	await expect(C.page.getByTestId('thread-notice')).toHaveText(`You were removed from ${open}`);
	await expect(threadItem(C.page, open)).toHaveCount(0);
	await expect(threadItem(C.page, closed)).toHaveCount(0);
	await expect(threadItem(C.page, 'Alice Away')).toBeVisible();
	a.close();
	await C.context.close();
});
