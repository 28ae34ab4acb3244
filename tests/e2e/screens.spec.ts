import fs from 'node:fs';
import path from 'node:path';
import { befriend, connectBot, sendAll, signedInPage } from './chat-helpers.js';
import { test, uniqueName } from './fixtures.js';

// Screenshots of the chat pages with real content, for a person to look at (not a test of the UI):
// PARLEY_SCREENSHOTS=1 npx playwright test screens
test.skip(!process.env.PARLEY_SCREENSHOTS, 'set PARLEY_SCREENSHOTS=1 to take the screenshots');

const OUT = path.resolve(import.meta.dirname, '../../test-results/screens');

test('screenshots of chat, friends and settings', async ({ browser, parley, signUp }) => {
	test.setTimeout(480_000);
	fs.mkdirSync(OUT, { recursive: true });
	const [alice, bob, carol, dave, eve, frank, fiona] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: 'Alice Martin' }),
		signUp({ username: uniqueName('bob'), displayName: 'Bob Kowalski' }),
		signUp({ username: uniqueName('carol'), displayName: 'Carol Nguyen' }),
		signUp({ username: uniqueName('dave'), displayName: 'Dave Okafor-Lindqvist with a long name' }),
		signUp({ username: uniqueName('eve'), displayName: 'Eve Adams' }),
		signUp({ username: uniqueName('frank'), displayName: 'Frank Miller' }),
		signUp({ username: uniqueName('fiona'), displayName: 'Fiona Walsh' })
	]);
	const [a, b, c, d, e] = await Promise.all([alice, bob, carol, dave, eve].map((acc) => connectBot(parley.baseURL, acc)));
	const ab = await befriend(a, b);
	const ac = await befriend(a, c);
	await befriend(a, d);
	await e.request('friends:request', { userId: a.user.id, message: 'Hi Alice, we met at the conference, remember?' });
	const f = await connectBot(parley.baseURL, fiona);
	await a.request('friends:request', { userId: f.user.id, message: 'Hello Fiona!' });
	f.close();
	void frank;
	await sendAll(b, ab.id, ['Hey Alice! Are we still on for Saturday?']);
	await sendAll(a, ab.id, ['Yes! 10 am at the market?', 'I can bring the coffee ☕']);
	await sendAll(b, ab.id, [
		'Perfect.\nI will bring:\n- the big basket\n- two umbrellas, just in case',
		'By the way, did you see this? https://example.com/a/really/long/link/that/goes/on/and/on/without/any/spaces/at/all/to/break/it'
	]);
	await sendAll(a, ab.id, ['<img src=x onerror=alert(1)><b>bold</b>', 'Haha, yes. See you then!']);
	await sendAll(c, ac.id, ['Hi Alice!']);
	await sendAll(a, ac.id, ['Hi Carol, how was the lecture?']);
	await sendAll(c, ac.id, ['Long, but good.', 'Can you send me the notes from today?']);
	for (const bot of [b, d, e]) bot.close();

	for (const scheme of ['light', 'dark'] as const) {
		for (const [label, viewport] of [
			['desktop', { width: 1280, height: 800 }],
			['phone', { width: 375, height: 740 }]
		] as const) {
			await sendAll(c, ac.id, [`Are you there? (${label}, ${scheme})`]);
			const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport, colorScheme: scheme });
			const shot = (name: string) => page.screenshot({ path: path.join(OUT, `${name}-${label}-${scheme}.png`) });
			await page.getByTestId('thread-item').first().waitFor();
			await shot('list');
			// A message the server refused, as the outbox keeps it, to show the failed state.
			await page.evaluate(
				({ key, threadId }) =>
					localStorage.setItem(key, JSON.stringify([{ clientId: 'failed-1', threadId, text: 'This one was refused by the server', createdAt: new Date().toISOString(), state: 'failed', error: 'you are sending messages too fast' }])),
				{ key: `parley:outbox:${a.user.id}`, threadId: ab.id }
			);
			await page.goto(`/app/t/${ab.id}`);
			await page.getByTestId('message-text').filter({ hasText: 'Haha, yes. See you then!' }).waitFor();
			await page.waitForTimeout(300);
			await shot('thread');
			await page.getByRole('button', { name: 'Discard' }).click();
			await context.setOffline(true);
			const composer = page.getByLabel('Message to Bob Kowalski');
			await composer.fill('Written offline, waiting to go out');
			await composer.press('Enter');
			await composer.fill('A draft that is not sent yet');
			await page.getByTestId('connection-banner').waitFor();
			await shot('thread-offline');
			await context.setOffline(false);
			await page.goto(`/app/t/${ac.id}`);
			await page.getByTestId('message-text').filter({ hasText: `(${label}, ${scheme})` }).waitFor();
			await page.waitForTimeout(300);
			await shot('thread-unread');
			await page.goto('/app/friends');
			await page.getByRole('searchbox').fill('f');
			await page.getByTestId('person').first().waitFor();
			await page.waitForTimeout(500);
			await shot('friends');
			await page.getByRole('button', { name: /^Add friend/ }).first().click();
			await page.waitForTimeout(300);
			await shot('friends-dialog');
			await page.keyboard.press('Escape');
			await page.goto('/app/settings');
			await page.getByLabel('Bio', { exact: true }).waitFor();
			await page.waitForTimeout(500);
			await shot('settings');
			await context.close();
		}
	}
	a.close();
	c.close();
});
