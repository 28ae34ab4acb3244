import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signedInPage } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';
import { CHUNK, cutAtTwoMiB, dropOn, fileCard, friendsInAChat, MTIME, patchOffsets, pseudoRandom, seededTransfer, sha256, SIZE, twoFriends, watchBubbles } from './files-helpers.js';

/** A file on disk, as a user's own file would be: picking it gives the browser its real modification time. */
function fileOnDisk(dir: string, name: string, bytes: Uint8Array, mtime = MTIME): string {
	fs.mkdirSync(dir, { recursive: true });
	const file = path.join(dir, name);
	fs.writeFileSync(file, bytes);
	fs.utimesSync(file, mtime, mtime);
	return file;
}

test('an upload cut off by a reload shows again in the chat, paused at the server’s offset; Resume with the same file sends only the rest, another file is refused; the friend gets it; one bubble all along', async ({
	browser,
	parley,
	signUp
}) => {
	test.setTimeout(180_000);
	const dir = path.join(os.tmpdir(), uniqueName('parley-resume'));
	const bytes = pseudoRandom(SIZE, 11);
	const report = fileOnDisk(dir, 'report.bin', bytes);
	// Same name and size, another modification time: not the same file for the fingerprint.
	const impostor = fileOnDisk(path.join(dir, 'elsewhere'), 'report.bin', bytes, MTIME + 60);
	const { A, B } = await friendsInAChat(browser, parley, signUp, 'Resume');

	// Alice attaches the file; the network goes at the third 1 MiB PATCH.
	const cuts = await cutAtTwoMiB(A.page);
	await A.page.getByTestId('attach-input').setInputFiles(report);
	const bubble = A.page.getByTestId('upload-bubble');
	await expect(bubble).toHaveAttribute('data-status', 'offline', { timeout: 60_000 });
	expect(cuts()).toBeGreaterThan(0);

	// She reloads the page (or closes the tab and comes back): the upload is not running any more, but
	// the chat shows it, interrupted at the 2 MiB the server has, and says how to go on.
	await A.page.reload();
	await A.page.unroute('**/files/*');
	await expect(A.page.getByLabel('Message to Bob Resume')).toBeVisible();
	await expect(bubble).toHaveCount(1);
	await expect(bubble).toHaveAttribute('data-status', 'interrupted');
	await expect(bubble).toContainText('report.bin');
	await expect(bubble).toContainText('2 MB of 4 MB sent');
	await expect(bubble).toContainText('Choose report.bin again to resume');
	await expect(bubble.getByRole('progressbar', { name: 'Uploading report.bin' })).toHaveAttribute('aria-valuenow', '50');
	const watched = await watchBubbles(A.page, 'report.bin');
	const offsets = patchOffsets(A.page);

	// Resume opens a file picker. Another file of the same name is refused, and nothing changes.
	const resume = bubble.getByRole('button', { name: 'Resume report.bin' });
	let [chooser] = await Promise.all([A.page.waitForEvent('filechooser'), resume.click()]);
	await chooser.setFiles(impostor);
	await expect(A.page.getByRole('alert').filter({ hasText: 'not the same file' })).toBeVisible();
	await expect(bubble).toHaveAttribute('data-status', 'interrupted');
	await expect(bubble.getByRole('progressbar', { name: 'Uploading report.bin' })).toHaveAttribute('aria-valuenow', '50');

	// The same file: the bubble goes on from the server's offset, and only the rest is sent.
	[chooser] = await Promise.all([A.page.waitForEvent('filechooser'), resume.click()]);
	await chooser.setFiles(report);
	const aliceCard = fileCard(A.page, 'report.bin');
	await expect(aliceCard).toHaveCount(1, { timeout: 60_000 });
	await expect(bubble).toHaveCount(0);
	expect(offsets).toEqual([2 * CHUNK, 3 * CHUNK]);
	expect(await watched()).toEqual({ max: 1, gap: false, seen: true });

	// Bob gets the file message, and the bytes are the file's.
	const bobCard = fileCard(B.page, 'report.bin');
	await expect(bobCard).toContainText('4 MB', { timeout: 30_000 });
	const [download] = await Promise.all([B.page.waitForEvent('download'), bobCard.getByRole('link', { name: 'Download report.bin' }).click()]);
	expect(sha256(fs.readFileSync((await download.path())!))).toBe(sha256(bytes));

	// Done, the browser forgets it: a reload shows the file message and no paused bubble.
	await A.page.reload();
	await expect(fileCard(A.page, 'report.bin')).toHaveCount(1);
	await expect(bubble).toHaveCount(0);

	fs.rmSync(dir, { recursive: true, force: true });
	await Promise.all([A.context.close(), B.context.close()]);
});

test('dropping the same file on the chat takes over its paused bubble; Discard deletes an unfinished upload on the server', async ({ browser, parley, signUp }) => {
	test.setTimeout(180_000);
	const { A, B } = await friendsInAChat(browser, parley, signUp, 'Drop');
	const bubble = A.page.getByTestId('upload-bubble');
	const chat = A.page.getByTestId('thread');
	/** Drops a 4 MiB file made in the page, the same bytes and modification time every time. */
	const drop = async (name: string) => dropOn(chat, await seededTransfer(A.page, { size: SIZE, seed: 5, name }));

	// Two uploads cut at 2 MiB, then a reload: two paused bubbles.
	await cutAtTwoMiB(A.page);
	await drop('slides.bin');
	await expect(bubble.filter({ hasText: 'slides.bin' })).toHaveAttribute('data-status', 'offline', { timeout: 60_000 });
	await drop('old draft.bin');
	await expect(bubble.filter({ hasText: 'old draft.bin' })).toHaveAttribute('data-status', 'offline', { timeout: 60_000 });
	await A.page.reload();
	await A.page.unroute('**/files/*');
	await expect(bubble).toHaveCount(2);
	await expect(bubble.filter({ hasText: 'slides.bin' })).toHaveAttribute('data-status', 'interrupted');
	await expect(bubble.filter({ hasText: 'slides.bin' })).toContainText('2 MB of 4 MB sent');

	// Dropping slides.bin again: its bubble goes on, never a second one beside it.
	const watched = await watchBubbles(A.page, 'slides.bin');
	const offsets = patchOffsets(A.page);
	await drop('slides.bin');
	await expect(fileCard(A.page, 'slides.bin')).toHaveCount(1, { timeout: 60_000 });
	expect(offsets).toEqual([2 * CHUNK, 3 * CHUNK]);
	expect(await watched()).toEqual({ max: 1, gap: false, seen: true });
	await expect(fileCard(B.page, 'slides.bin')).toContainText('4 MB', { timeout: 30_000 });

	// Discard: the bubble goes, and the server no longer has the upload.
	const url = await A.page.evaluate(() => {
		for (let i = 0; i < localStorage.length; i++) {
			const key = localStorage.key(i)!;
			if (key.startsWith('tus::tus-br-old draft.bin-')) return (JSON.parse(localStorage.getItem(key)!) as { uploadUrl: string }).uploadUrl;
		}
		return null;
	});
	expect(url).toBeTruthy();
	expect((await A.context.request.head(url!, { headers: { 'Tus-Resumable': '1.0.0' } })).headers()['upload-offset']).toBe(String(2 * CHUNK));
	const old = bubble.filter({ hasText: 'old draft.bin' });
	await old.getByRole('button', { name: 'Discard old draft.bin' }).click();
	await expect(bubble).toHaveCount(0);
	await expect.poll(async () => [404, 410].includes((await A.context.request.head(url!, { headers: { 'Tus-Resumable': '1.0.0' } })).status())).toBe(true);
	await A.page.reload();
	await expect(fileCard(A.page, 'slides.bin')).toHaveCount(1);
	await expect(bubble).toHaveCount(0);
	await Promise.all([A.context.close(), B.context.close()]);
});

test('a finished upload whose message the socket missed asks the chat, and shows the file; if the chat cannot tell either, it says it was sent', async ({ browser, parley, signUp }) => {
	test.setTimeout(120_000);
	const { alice, thread } = await twoFriends(parley, signUp, 'Lost');
	const { context, page } = await signedInPage(browser, parley.baseURL, alice);

	// Between Alice's page and the server, frames from the server that name a file can be lost.
	let lose: RegExp | null = null;
	let lost = 0;
	const sockets: Array<import('@playwright/test').WebSocketRoute> = [];
	await page.routeWebSocket(/\/socket\.io\//, (ws) => {
		sockets.push(ws);
		const server = ws.connectToServer();
		server.onMessage((frame) => {
			if (lose && typeof frame === 'string' && lose.test(frame)) {
				lost++;
				return;
			}
			ws.send(frame);
		});
		ws.onMessage((frame) => server.send(frame));
	});
	await page.goto(`/app/t/${thread.id}`);
	await expect(page.getByLabel('Message to Bob Lost')).toBeVisible();
	const bubble = page.getByTestId('upload-bubble');

	// Only the live event is lost: the bubble asks the thread for what it missed, and the file is there.
	lose = /^42\["message:new".*lost\.txt/;
	const watched = await watchBubbles(page, 'lost.txt');
	await page.getByTestId('attach-input').setInputFiles({ name: 'lost.txt', mimeType: 'text/plain', buffer: Buffer.from('the socket never said\n') });
	await expect(fileCard(page, 'lost.txt')).toHaveCount(1, { timeout: 30_000 });
	await expect(bubble).toHaveCount(0);
	expect(await watched()).toEqual({ max: 1, gap: false, seen: true });
	// It did come another way than the live event: that was lost.
	expect(lost).toBeGreaterThan(0);

	// Everything that names the file is lost: the bubble says it was sent instead of spinning on.
	lose = /unconfirmed\.txt/;
	await page.getByTestId('attach-input').setInputFiles({ name: 'unconfirmed.txt', mimeType: 'text/plain', buffer: Buffer.from('nobody confirmed\n') });
	await expect(bubble).toContainText('Sent — waiting for the chat to confirm', { timeout: 30_000 });
	await expect(bubble).toHaveAttribute('data-status', 'done');
	await expect(fileCard(page, 'unconfirmed.txt')).toHaveCount(0);
	// The connection comes back (a new socket): the chat catches up, and the message takes the bubble's place.
	lose = null;
	await sockets[sockets.length - 1].close();
	await expect(fileCard(page, 'unconfirmed.txt')).toHaveCount(1, { timeout: 30_000 });
	await expect(bubble).toHaveCount(0);
	await context.close();
});
