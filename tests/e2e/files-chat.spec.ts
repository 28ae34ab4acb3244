import fs from 'node:fs';
import type { Locator, Page } from '@playwright/test';
import { signedInPage } from './chat-helpers.js';
import { expect, test } from './fixtures.js';
import { CHUNK, cutAtTwoMiB, dropOn, fileCard, friendsInAChat, patchOffsets, pseudoRandom, seededTransfer, sha256, SIZE, twoFriends, watchBubbles } from './files-helpers.js';

const threadItem = (page: Page, name: string): Locator => page.getByTestId('thread-item').filter({ hasText: name });

/** A PNG of `width`×`height` drawn in the page (a gradient, so it is not one colour). */
async function pngInPage(page: Page, width: number, height: number): Promise<Buffer> {
	const base64 = await page.evaluate(
		async ({ width, height }) => {
			const canvas = new OffscreenCanvas(width, height);
			const g = canvas.getContext('2d')!;
			const gradient = g.createLinearGradient(0, 0, width, height);
			gradient.addColorStop(0, '#ff8a00');
			gradient.addColorStop(1, '#3a0ca3');
			g.fillStyle = gradient;
			g.fillRect(0, 0, width, height);
			const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
			let binary = '';
			for (const b of bytes) binary += String.fromCharCode(b);
			return btoa(binary);
		},
		{ width, height }
	);
	return Buffer.from(base64, 'base64');
}

test('files in a chat: drop, lose the network, resume; the friend gets it live and downloads the same bytes; an image by attach and by paste shows a thumbnail that opens full size; deleting turns it into "File deleted" for both', async ({
	browser,
	parley,
	signUp
}) => {
	// Two browsers, megabytes through tus, a reconnection: a loaded machine needs time.
	test.setTimeout(180_000);
	const { A, B, thread } = await friendsInAChat(browser, parley, signUp, 'Files');

	// The third PATCH meets a dead network: Alice's browser goes offline and the request fails.
	await cutAtTwoMiB(A.page, { offline: true });
	const handOver = await watchBubbles(A.page, 'holiday video.bin');

	// Alice drags a file from her desktop onto the chat: an overlay says where it goes, the drop sends it.
	const dataTransfer = await seededTransfer(A.page, { size: SIZE, seed: 7, name: 'holiday video.bin' });
	await dropOn(A.page.getByTestId('thread'), dataTransfer, () => expect(A.page.getByTestId('drop-overlay')).toContainText('Drop to send to Bob Files'));
	await expect(A.page.getByTestId('drop-overlay')).toHaveCount(0);

	// An upload bubble on Alice's side, with progress; it stops where the network went and says so.
	const uploadBubble = A.page.getByTestId('upload-bubble');
	await expect(uploadBubble).toHaveCount(1);
	await expect(uploadBubble).toHaveAttribute('data-status', 'offline', { timeout: 30_000 });
	await expect(uploadBubble).toContainText('Waiting for the network');
	const bar = uploadBubble.getByRole('progressbar', { name: 'Uploading holiday video.bin' });
	const cut = Number(await bar.getAttribute('aria-valuenow'));
	expect(cut).toBeGreaterThanOrEqual(25);
	expect(cut).toBeLessThan(100);
	await expect(uploadBubble).toContainText(`${cut} %`);
	await expect(uploadBubble.getByRole('button', { name: 'Pause holiday video.bin' })).toBeVisible();
	await expect(uploadBubble.getByRole('button', { name: 'Cancel holiday video.bin' })).toBeVisible();
	// Nothing of it has reached Bob.
	await expect(fileCard(B.page, 'holiday video.bin')).toHaveCount(0);

	// Alice pauses it herself while offline, comes back online, and resumes: it goes on from the server's offset.
	const offsets = patchOffsets(A.page);
	await uploadBubble.getByRole('button', { name: 'Pause holiday video.bin' }).click();
	await expect(uploadBubble).toHaveAttribute('data-status', 'paused');
	await expect(uploadBubble).toContainText('Paused');
	await A.page.unroute('**/files/*');
	await A.context.setOffline(false);
	await uploadBubble.getByRole('button', { name: 'Resume holiday video.bin' }).click();

	// Done: the upload bubble gives way to the file message, never both at once and never neither.
	const aliceCard = fileCard(A.page, 'holiday video.bin');
	await expect(aliceCard).toHaveCount(1, { timeout: 60_000 });
	await expect(uploadBubble).toHaveCount(0);
	expect(offsets).toEqual([2 * CHUNK, 3 * CHUNK]);
	const seen = await handOver();
	expect(seen).toEqual({ max: 1, gap: false, seen: true });

	// Bob sees it arrive live, with its size, and the thread list says what it is.
	const bobCard = fileCard(B.page, 'holiday video.bin');
	await expect(bobCard).toContainText('4 MB');
	await expect(threadItem(B.page, 'Alice Files')).toContainText('📎 holiday video.bin');
	const fileId = await bobCard.getAttribute('data-file-id');
	expect(fileId).toBeTruthy();

	// He downloads it with the browser's own download: the same bytes.
	const [download] = await Promise.all([B.page.waitForEvent('download'), bobCard.getByRole('link', { name: 'Download holiday video.bin' }).click()]);
	expect(download.suggestedFilename()).toBe('holiday video.bin');
	expect(sha256(fs.readFileSync((await download.path())!))).toBe(sha256(pseudoRandom(SIZE, 7)));

	// An image with the attach button (keyboard: focus it, press Enter) and one pasted into the composer.
	const sunset = await pngInPage(A.page, 640, 480);
	const attach = A.page.getByRole('button', { name: 'Attach files' });
	await attach.focus();
	const [chooser] = await Promise.all([A.page.waitForEvent('filechooser'), A.page.keyboard.press('Enter')]);
	await chooser.setFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: sunset });
	await A.page.getByLabel('Message to Bob Files').evaluate(async (textarea) => {
		const canvas = new OffscreenCanvas(300, 500);
		const g = canvas.getContext('2d')!;
		g.fillStyle = '#0a84d6';
		g.fillRect(0, 0, 300, 500);
		const transfer = new DataTransfer();
		transfer.items.add(new File([await canvas.convertToBlob({ type: 'image/png' })], 'screenshot.png', { type: 'image/png' }));
		textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
	});
	await expect(A.page.getByLabel('Message to Bob Files')).toHaveValue('');

	// On Bob's side: thumbnails, in boxes of the images' shape, that open full size.
	const sunsetCard = fileCard(B.page, 'sunset.png');
	const thumb = sunsetCard.getByRole('button', { name: 'Open sunset.png full size' });
	await expect(thumb).toBeVisible({ timeout: 30_000 });
	await expect(fileCard(B.page, 'screenshot.png').getByRole('button', { name: 'Open screenshot.png full size' })).toBeVisible();
	const thumbImage = thumb.locator('img');
	await expect.poll(() => thumbImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
	expect(await thumbImage.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeLessThanOrEqual(320);
	const box = (await thumb.boundingBox())!;
	expect(Math.round(box.width)).toBe(240);
	expect(Math.round(box.height)).toBe(180);
	await thumb.click();
	const lightbox = B.page.getByRole('dialog', { name: 'sunset.png, full size' });
	await expect(lightbox).toBeVisible();
	const full = lightbox.getByTestId('lightbox-image');
	await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(640);
	await B.page.keyboard.press('Escape');
	await expect(lightbox).toBeHidden();
	await expect(thumb).toBeFocused();

	// The Files page of both lists the video.
	const bobFiles = await B.context.newPage();
	await bobFiles.goto('/app/files');
	await expect(bobFiles.getByTestId('file-row').filter({ hasText: 'holiday video.bin' })).toHaveCount(1);
	await bobFiles.close();
	await A.page.goto('/app/files');
	const row = A.page.getByTestId('file-row').filter({ hasText: 'holiday video.bin' });
	// Uploaded into the chat with Bob: the row names it (issue 13; it said "Sent by you").
	await expect(row).toContainText('Sent to Bob Files');
	await expect(A.page.getByTestId('file-row').filter({ hasText: 'sunset.png' })).toHaveCount(1);

	// Alice deletes it there: Bob's bubble, still open, turns into "File deleted" with nothing to download.
	await row.getByRole('button', { name: 'Delete holiday video.bin' }).click();
	const confirm = A.page.getByRole('dialog', { name: 'Delete this file?' });
	await confirm.getByRole('button', { name: 'Delete' }).click();
	await expect(row).toHaveCount(0);
	const gone = B.page.locator(`[data-testid="file-card"][data-file-id="${fileId}"]`);
	await expect(gone).toHaveAttribute('data-deleted', 'true');
	await expect(gone).toContainText('File deleted');
	await expect(gone.getByRole('link')).toHaveCount(0);
	// And for Alice, back in the chat (loaded afresh from the server).
	await A.page.goto(`/app/t/${thread.id}`);
	await expect(A.page.locator(`[data-testid="file-card"][data-file-id="${fileId}"]`)).toContainText('File deleted');

	// On a 360 px phone the file bubbles stay inside the screen.
	await B.page.setViewportSize({ width: 360, height: 740 });
	await expect(sunsetCard).toBeVisible();
	expect(await B.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
	for (const card of await B.page.getByTestId('file-card').all()) {
		const r = (await card.boundingBox())!;
		expect(r.x).toBeGreaterThanOrEqual(0);
		expect(r.x + r.width).toBeLessThanOrEqual(360);
	}

	await Promise.all([A.context.close(), B.context.close()]);
});

test('a refused upload in a chat says why and offers retry; cancel takes the bubble away', async ({ browser, parley, signUp, pageErrors }) => {
	pageErrors.allow(/^Failed to load resource: net::ERR_FAILED$/, "the cancel step aborts the upload's PATCH requests (route.abort)");
	test.setTimeout(120_000);
	const { alice, thread } = await twoFriends(parley, signUp, 'Refused');
	const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport: { width: 360, height: 740 } });
	await page.goto(`/app/t/${thread.id}`);

	// The server refuses the creation (as a full quota would); the second attempt goes through.
	let refuse = true;
	await page.route('**/files/', async (route) => {
		if (refuse && route.request().method() === 'POST') {
			refuse = false;
			await route.fulfill({ status: 413, contentType: 'application/json', body: JSON.stringify({ error: { code: 'quota_exceeded', message: 'only 1 KB left' } }) });
		} else await route.continue();
	});
	await page.getByTestId('attach-input').setInputFiles({ name: 'notes with a rather long name that must not overflow a phone.txt', mimeType: 'text/plain', buffer: Buffer.from('a few notes\n') });
	const upload = page.getByTestId('upload-bubble');
	await expect(upload).toHaveAttribute('data-status', 'failed');
	await expect(page.getByRole('alert').filter({ hasText: 'Not enough room left' })).toBeVisible();
	expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
	const r = (await upload.boundingBox())!;
	expect(r.x + r.width).toBeLessThanOrEqual(360);
	await page.getByRole('button', { name: /^Retry notes with/ }).click();
	await expect(fileCard(page, 'notes with a rather long name')).toHaveCount(1, { timeout: 30_000 });
	await expect(upload).toHaveCount(0);
	await expect(fileCard(page, 'notes with a rather long name')).toContainText('12 B');

	// Cancel: the bubble goes, nothing is posted.
	await page.route('**/files/*', (route) => (route.request().method() === 'PATCH' ? route.abort('failed') : route.continue()));
	await page.getByTestId('attach-input').setInputFiles({ name: 'never.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(4096, 1) });
	await expect(upload).toHaveCount(1);
	await upload.getByRole('button', { name: 'Cancel never.bin' }).click();
	await expect(upload).toHaveCount(0);
	await expect(fileCard(page, 'never.bin')).toHaveCount(0);
	await context.close();
});
