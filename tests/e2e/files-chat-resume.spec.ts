import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { befriend, connectBot, signedInPage } from './chat-helpers.js';
import { expect, test, uniqueName } from './fixtures.js';

const MiB = 1024 * 1024;
const SIZE = 4 * MiB;
// 1 MiB per PATCH (the page's setting for proxies with small body limits): the third is where the network goes.
const CHUNK = MiB;
/** The files' modification time, in s (a fingerprint part: the same file chosen again has the same). */
const MTIME = 1_700_000_000;
const sha256 = (data: Buffer | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Bytes from a seed (xorshift32), made the same way in the page and here (as in files.spec.ts). */
function pseudoRandom(size: number, seed: number): Uint8Array {
	const out = new Uint8Array(size);
	let x = seed | 0 || 1;
	for (let i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 255;
	}
	return out;
}

/** A file on disk, as a user's own file would be: picking it gives the browser its real modification time. */
function fileOnDisk(dir: string, name: string, bytes: Uint8Array, mtime = MTIME): string {
	fs.mkdirSync(dir, { recursive: true });
	const file = path.join(dir, name);
	fs.writeFileSync(file, bytes);
	fs.utimesSync(file, mtime, mtime);
	return file;
}

const fileCard = (page: Page, name: string): Locator => page.getByTestId('file-card').filter({ hasText: name });

/** Counts, after every change of the page, the bubbles showing `name` (as files-chat.spec.ts does). */
async function watchBubbles(page: Page, name: string) {
	await page.evaluate((name) => {
		const w = window as unknown as { handOver: { max: number; gap: boolean; seen: boolean } };
		w.handOver = { max: 0, gap: false, seen: false };
		const count = () =>
			[...document.querySelectorAll('[data-testid="upload-bubble"], [data-testid="file-card"]')].filter((el) => el.textContent?.includes(name)).length;
		const look = () => {
			const n = count();
			w.handOver.max = Math.max(w.handOver.max, n);
			if (n > 0) w.handOver.seen = true;
			else if (w.handOver.seen) w.handOver.gap = true;
		};
		look();
		new MutationObserver(look).observe(document.body, { childList: true, subtree: true, characterData: true });
	}, name);
	return () => page.evaluate(() => (window as unknown as { handOver: { max: number; gap: boolean; seen: boolean } }).handOver);
}

/** Two friends with their chat open; Alice's page sends 1 MiB per PATCH. */
async function friendsInAChat(browser: import('@playwright/test').Browser, parley: { baseURL: string }, signUp: (o?: { username?: string; displayName?: string }) => Promise<import('./fixtures.js').Account>, tag: string) {
	const [alice, bob] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: `Alice ${tag}` }),
		signUp({ username: uniqueName('bob'), displayName: `Bob ${tag}` })
	]);
	const [a, b] = await Promise.all([connectBot(parley.baseURL, alice), connectBot(parley.baseURL, bob)]);
	const thread = await befriend(a, b);
	a.close();
	b.close();
	const A = await signedInPage(browser, parley.baseURL, alice);
	const B = await signedInPage(browser, parley.baseURL, bob);
	await A.page.evaluate((bytes) => localStorage.setItem('parley.uploadChunkBytes', String(bytes)), CHUNK);
	await Promise.all([A.page.goto(`/app/t/${thread.id}`), B.page.goto(`/app/t/${thread.id}`)]);
	await expect(A.page.getByLabel(`Message to Bob ${tag}`)).toBeVisible();
	await expect(B.page.getByLabel(`Message to Alice ${tag}`)).toBeVisible();
	return { A, B, thread };
}

/** From now on every PATCH from 2 MiB on fails as a dead network would; returns how many were cut. */
async function cutAtTwoMiB(page: Page): Promise<() => number> {
	let cut = 0;
	await page.route('**/files/*', async (route) => {
		const request = route.request();
		if (request.method() === 'PATCH' && Number(request.headers()['upload-offset']) >= 2 * CHUNK) {
			cut++;
			await route.abort('internetdisconnected');
		} else await route.continue();
	});
	return () => cut;
}

/** The Upload-Offset of every PATCH the page sends from now on. */
function patchOffsets(page: Page): number[] {
	const offsets: number[] = [];
	page.on('request', (request) => {
		if (request.method() === 'PATCH') offsets.push(Number(request.headers()['upload-offset']));
	});
	return offsets;
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
	const drop = async (name: string) => {
		const dataTransfer = await A.page.evaluateHandle(
			({ source, size, name, mtime }) => {
				const make = new Function(`return ${source}`)() as (size: number, seed: number) => Uint8Array<ArrayBuffer>;
				const transfer = new DataTransfer();
				transfer.items.add(new File([make(size, 5)], name, { type: 'application/octet-stream', lastModified: mtime * 1000 }));
				return transfer;
			},
			{ source: pseudoRandom.toString(), size: SIZE, name, mtime: MTIME }
		);
		await chat.dispatchEvent('dragenter', { dataTransfer });
		await chat.dispatchEvent('dragover', { dataTransfer });
		await chat.dispatchEvent('drop', { dataTransfer });
	};

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
	const [alice, bob] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: 'Alice Lost' }),
		signUp({ username: uniqueName('bob'), displayName: 'Bob Lost' })
	]);
	const [a, b] = await Promise.all([connectBot(parley.baseURL, alice), connectBot(parley.baseURL, bob)]);
	const thread = await befriend(a, b);
	a.close();
	b.close();
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
