import { createHash } from 'node:crypto';
import type { Browser, JSHandle, Locator, Page } from '@playwright/test';
import { befriend, connectBot, signedInPage } from './chat-helpers.js';
import { expect, uniqueName, type Account } from './fixtures.js';

// What the files tests (Files page, files in a chat, resumed uploads) share: files made from a seed,
// small PATCHes, a network cut part way, drops as a desktop makes them, and two friends in a chat.

export const MiB = 1024 * 1024;
// 1 MiB per PATCH (the page's setting for proxies with small body limits): a 4 MiB file is four, and
// the third is where the network goes.
export const SIZE = 4 * MiB;
export const CHUNK = MiB;
/** The files' modification time, in s (a fingerprint part: the same file chosen again has the same). */
export const MTIME = 1_700_000_000;

export const sha256 = (data: Buffer | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Bytes from a seed (xorshift32), made the same way in the page and here, so a 60 MiB file need not
 * cross from the test to the browser. Self-contained: the page gets it as source text.
 */
export function pseudoRandom(size: number, seed: number): Uint8Array {
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

export const fileCard = (page: Page, name: string): Locator => page.getByTestId('file-card').filter({ hasText: name });

/** Makes the page send `CHUNK` bytes per PATCH. */
export async function useSmallChunks(page: Page) {
	await page.evaluate((bytes) => localStorage.setItem('parley.uploadChunkBytes', String(bytes)), CHUNK);
}

/** The Upload-Offset of every PATCH the page sends from now on. */
export function patchOffsets(page: Page): number[] {
	const offsets: number[] = [];
	page.on('request', (request) => {
		if (request.method() === 'PATCH') offsets.push(Number(request.headers()['upload-offset']));
	});
	return offsets;
}

/**
 * From now on every PATCH from 2 MiB on fails as a dead network would (with `offline`, the browser
 * goes offline first, as when the network really goes); returns how many were cut.
 */
export async function cutAtTwoMiB(page: Page, { offline = false } = {}): Promise<() => number> {
	let cut = 0;
	await page.route('**/files/*', async (route) => {
		const request = route.request();
		if (request.method() === 'PATCH' && Number(request.headers()['upload-offset']) >= 2 * CHUNK) {
			cut++;
			if (offline) await page.context().setOffline(true);
			await route.abort('internetdisconnected');
		} else await route.continue();
	});
	return () => cut;
}

/** A DataTransfer holding one file of `size` seeded bytes, made in the page, as a desktop's drag carries it. */
export async function seededTransfer(page: Page, { size, seed, name, lastModified = MTIME * 1000 }: { size: number; seed: number; name: string; lastModified?: number }): Promise<JSHandle<DataTransfer>> {
	return page.evaluateHandle(
		({ source, size, seed, name, lastModified }) => {
			const make = new Function(`return ${source}`)() as (size: number, seed: number) => Uint8Array<ArrayBuffer>;
			const transfer = new DataTransfer();
			transfer.items.add(new File([make(size, seed)], name, { type: 'application/octet-stream', lastModified }));
			return transfer;
		},
		{ source: pseudoRandom.toString(), size, seed, name, lastModified }
	);
}

/** Drags `dataTransfer` over `target` and drops it; `beforeDrop` checks what the page shows mid-drag. */
export async function dropOn(target: Locator, dataTransfer: JSHandle<DataTransfer>, beforeDrop?: () => Promise<void>) {
	await target.dispatchEvent('dragenter', { dataTransfer });
	await target.dispatchEvent('dragover', { dataTransfer });
	await beforeDrop?.();
	await target.dispatchEvent('drop', { dataTransfer });
}

/**
 * Counts, after every change of the page, the bubbles showing `name`: its upload bubble plus its file
 * message. Records the most seen at once and whether it went back to none after it first showed, so
 * the hand-over from upload to message can be checked for a duplicate and for a flash of nothing.
 */
export async function watchBubbles(page: Page, name: string) {
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

type SignUp = (overrides?: Partial<Account>) => Promise<Account>;

/** Alice and Bob (display names "Alice {tag}", "Bob {tag}"), friends, and their chat. */
export async function twoFriends(parley: { baseURL: string }, signUp: SignUp, tag: string) {
	const [alice, bob] = await Promise.all([
		signUp({ username: uniqueName('alice'), displayName: `Alice ${tag}` }),
		signUp({ username: uniqueName('bob'), displayName: `Bob ${tag}` })
	]);
	const [a, b] = await Promise.all([connectBot(parley.baseURL, alice), connectBot(parley.baseURL, bob)]);
	const thread = await befriend(a, b);
	a.close();
	b.close();
	return { alice, bob, thread };
}

/** Two friends with their chat open; Alice's page sends 1 MiB per PATCH. */
export async function friendsInAChat(browser: Browser, parley: { baseURL: string }, signUp: SignUp, tag: string) {
	const { alice, bob, thread } = await twoFriends(parley, signUp, tag);
	const A = await signedInPage(browser, parley.baseURL, alice);
	const B = await signedInPage(browser, parley.baseURL, bob);
	await useSmallChunks(A.page);
	await Promise.all([A.page.goto(`/app/t/${thread.id}`), B.page.goto(`/app/t/${thread.id}`)]);
	await expect(A.page.getByLabel(`Message to Bob ${tag}`)).toBeVisible();
	await expect(B.page.getByLabel(`Message to Alice ${tag}`)).toBeVisible();
	return { A, B, thread };
}

/** Signs in through the login page. */
export async function signIn(page: Page, account: Account) {
	await page.goto('/login');
	await page.getByLabel('Username or email', { exact: true }).fill(account.username);
	await page.getByLabel('Password', { exact: true }).fill(account.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(/\/app/);
}

/** Drops a file of `size` seeded bytes onto the Files page's drop zone, as a person dragging it from their desktop would. */
export async function dropFile(page: Page, size: number, seed: number, name: string) {
	await dropOn(page.getByTestId('drop-zone'), await seededTransfer(page, { size, seed, name }));
}

/**
 * On the Files page of a signed-in page: drops a 4 MiB file sent 1 MiB per PATCH, takes the network
 * away at the third, gives it back, and checks the upload goes on from the server's offset by itself,
 * finishes, is listed and downloads the same bytes. Resolves to the file's row in the list.
 */
export async function uploadThroughNetworkLoss(page: Page, name: string): Promise<Locator> {
	await page.goto('/app/files');
	await expect(page.getByTestId('files-empty')).toBeVisible();
	await useSmallChunks(page);

	const offsets = patchOffsets(page);
	// The third PATCH meets a dead network: the browser goes offline and the request fails.
	await cutAtTwoMiB(page, { offline: true });
	await dropFile(page, SIZE, 7, name);

	const row = page.getByTestId('upload');
	await expect(row).toHaveCount(1);
	await expect(row).toHaveAttribute('data-status', 'offline', { timeout: 30_000 });
	await expect(row).toContainText('Waiting for the network');
	const bar = row.getByRole('progressbar', { name: `Uploading ${name}` });
	const cut = Number(await bar.getAttribute('aria-valuenow'));
	expect(cut).toBeGreaterThanOrEqual(25);
	expect(cut).toBeLessThan(100);

	// Back online: it goes on by itself, from what the server has.
	await page.unroute('**/files/*');
	await page.context().setOffline(false);
	await expect(row).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
	await expect(row).toContainText('Uploaded');
	expect(offsets).toEqual([0, CHUNK, 2 * CHUNK, 2 * CHUNK, 3 * CHUNK]);

	// Listed, and the download is the same bytes.
	const listed = page.getByTestId('file-row').filter({ hasText: name });
	await expect(listed).toHaveCount(1);
	await expect(listed).toContainText('4 MB');
	const fileId = await listed.getAttribute('data-file-id');
	const href = await listed.getByRole('link', { name: `Download ${name}` }).getAttribute('href');
	expect(href).toBe(`/files/${fileId}`);
	const download = await page.request.get(href!);
	expect(download.status()).toBe(200);
	expect(download.headers()['content-disposition']).toContain('attachment');
	expect(sha256(await download.body())).toBe(sha256(Buffer.from(pseudoRandom(SIZE, 7))));
	return listed;
}
