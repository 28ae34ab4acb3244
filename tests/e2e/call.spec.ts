import { grows, stats, worker } from './call-helpers.js';
import { friendsOnPages, signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';

// A video call between two browsers through Parley's own SFU, with Chromium's fake camera and
// microphone (playwright.config.ts): real frames are encoded, sent to mediasoup, forwarded and decoded.
const ci = process.env.CI === 'true' || process.env.CI === '1';
if ('error' in worker && !ci) console.warn(`[call e2e] skipped: ${worker.error}`);

test('alice calls bob: both decode video through the SFU; mute stops audio; the screen replaces the camera; hang up ends both and writes the call line', async ({ browser, parley, signUp }) => {
	test.skip('error' in worker && !ci, 'no mediasoup worker: run `npm run setup:media`');
	expect('error' in worker ? worker.error : 'ok', 'CI needs a mediasoup worker').toBe('ok');
	// Sign-ups, two browsers and a real call on a 2-core machine that runs other suites beside it.
	test.setTimeout(240_000);
	const { thread, A, B } = await friendsOnPages({ browser, parley, signUp }, ['Alice Liddell', 'Bob Builder']);
	await A.page.goto(`/app/t/${thread.id}`);

	// Alice calls; Bob's card rings with her name; he accepts.
	await A.page.getByRole('button', { name: 'Video call Bob Builder' }).click();
	await expect(A.page.getByTestId('call-status')).toHaveText(/Calling|Ringing/);
	const card = B.page.getByRole('alertdialog');
	await expect(card).toContainText('Alice Liddell');
	await expect(card).toContainText('Incoming video call');
	await card.getByRole('button', { name: 'Accept video call from Alice Liddell' }).click();

	// Both sides: connected, the timer runs, and video frames arrive and are decoded.
	for (const page of [A.page, B.page]) {
		await expect(page.getByTestId('call-view')).toHaveAttribute('data-phase', 'active', { timeout: 20_000 });
		await expect(page.getByTestId('call-status')).toHaveText(/^\d+:\d\d$/);
	}
	for (const page of [A.page, B.page]) {
		await grows(page, (s) => s.inbound.video.framesDecoded, 5);
		await grows(page, (s) => s.inbound.video.bytes);
		await grows(page, (s) => s.inbound.audio.bytes);
		await expect(page.getByTestId('remote-video')).toBeVisible();
		expect(await page.evaluate(() => (window as unknown as { __parleyCall: { handler(): string } }).__parleyCall.handler())).toMatch(/^Chrome/);
	}
	const decoded = (await stats(B.page))!.inbound.video;
	expect(decoded.width).toBeGreaterThan(0);

	// Alice mutes: her outbound audio stops; Bob is told.
	await A.page.getByRole('button', { name: 'Mute microphone' }).click();
	await expect(A.page.getByRole('button', { name: 'Unmute microphone' })).toHaveAttribute('aria-pressed', 'true');
	await expect.poll(async () => (await stats(A.page))!.paused.mic).toBe(true);
	await expect(B.page.getByText('Alice Liddell is muted')).toBeVisible();
	await A.page.waitForTimeout(500);
	const mutedAt = (await stats(A.page))!.outbound.audio.bytes;
	await A.page.waitForTimeout(1500);
	expect((await stats(A.page))!.outbound.audio.bytes - mutedAt).toBeLessThan(200);
	await A.page.getByRole('button', { name: 'Unmute microphone' }).click();
	await grows(A.page, (s) => s.outbound.audio.bytes);

	// Alice shares her screen: the camera's producer now sends the screen; Bob keeps decoding.
	const cameraLabel = (await stats(A.page))!.tracks.camera;
	await A.page.getByRole('button', { name: 'Share screen' }).click();
	await expect(A.page.getByRole('button', { name: 'Stop sharing screen' })).toBeVisible();
	await expect.poll(async () => (await stats(A.page))!.tracks.camera).not.toBe(cameraLabel);
	await grows(B.page, (s) => s.inbound.video.framesDecoded);
	await A.page.getByRole('button', { name: 'Stop sharing screen' }).click();
	await expect.poll(async () => (await stats(A.page))!.tracks.camera).toBe(cameraLabel);

	// Bob hangs up: both calls end, and the thread gets the call line.
	await B.page.getByRole('button', { name: 'Hang up' }).click();
	// Each side shows "Call ended" for a moment, then the view closes by itself.
	for (const page of [A.page, B.page]) await expect(page.getByTestId('call-view')).toBeHidden({ timeout: 10_000 });
	await expect(A.page.getByTestId('call-line').filter({ hasText: /^Video call · \d+ (s|min)$/ })).toBeVisible();
	await B.page.goto(`/app/t/${thread.id}`);
	await expect(B.page.getByTestId('call-line').filter({ hasText: /^Video call · \d+ (s|min)$/ })).toBeVisible();

	await A.context.close();
	await B.context.close();
});

test('the call test page finds the fake camera and microphone and gets media back from the SFU', async ({ browser, parley, signUp }) => {
	test.skip('error' in worker && !ci, 'no mediasoup worker: run `npm run setup:media`');
	const account = await signUp({ username: uniqueName('tester') });
	const { context, page } = await signedInPage(browser, parley.baseURL, account);
	// Reached from Settings.
	await page.goto('/app/settings');
	await page.getByRole('link', { name: 'Test camera and microphone' }).click();
	await expect(page).toHaveURL(/\/call-test$/);
	await expect(page.getByTestId('check-camera')).toHaveAttribute('data-state', 'ok');
	await expect(page.getByTestId('check-microphone')).toHaveAttribute('data-state', 'ok');
	await expect(page.getByTestId('check-server')).toHaveAttribute('data-state', 'ok', { timeout: 30_000 });
	await expect(page.getByTestId('check-server')).toContainText('came back');
	// In words for people: no library handler name such as "(Chrome111)".
	await expect(page.getByTestId('check-server')).not.toContainText('Chrome');
	await context.close();
});

test('on a 360 px phone the incoming-call card fits the screen, its buttons in reach', async ({ browser, parley, signUp }) => {
	test.skip('error' in worker && !ci, 'no mediasoup worker: run `npm run setup:media`');
	const { bob, a: ba, b: bb, thread } = await twoFriends({ parley, signUp }, ['Alice Pleasance Liddell', 'Bob Builder']);
	bb.close();
	const B = await signedInPage(browser, parley.baseURL, bob, { viewport: { width: 360, height: 740 } });
	// Rings reach the devices connected then: wait until Bob's page has its threads over the socket.
	await expect(B.page.getByTestId('thread-item').filter({ hasText: 'Alice Pleasance Liddell' })).toBeVisible();

	const { call } = await ba.request('call:invite', { threadId: thread.id, video: true });
	const card = B.page.getByRole('alertdialog');
	await expect(card).toContainText('Incoming video call');
	const box = (await card.boundingBox())!;
	expect(box.x, 'left edge on screen').toBeGreaterThanOrEqual(0);
	expect(box.x + box.width, 'right edge on screen').toBeLessThanOrEqual(360);
	for (const name of ['Decline call from Alice Pleasance Liddell', 'Accept video call from Alice Pleasance Liddell']) {
		const button = (await card.getByRole('button', { name }).boundingBox())!;
		expect(button.x).toBeGreaterThanOrEqual(0);
		expect(button.x + button.width).toBeLessThanOrEqual(360);
	}

	await ba.request('call:cancel', { callId: call.callId });
	await expect(card).toBeHidden();
	ba.close();
	await B.context.close();
});
