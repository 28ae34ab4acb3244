import { expect, test } from './fixtures.js';
import { CHUNK, dropFile, patchOffsets, pseudoRandom, sha256, SIZE, signIn, uploadThroughNetworkLoss, useSmallChunks } from './files-helpers.js';

// Each signs in through the page and moves megabytes through tus; a busy CI machine needs more than 60 s.
test.describe.configure({ mode: 'parallel', timeout: 120_000 });


test('drop a file on the Files page, lose the network mid-way, get it back: the upload resumes from the server offset, finishes, is listed and downloads identical', async ({ page, signUp }) => {
	await signIn(page, await signUp());
	const listed = await uploadThroughNetworkLoss(page, 'holiday video.bin');
	// Uploaded on this page, it went to nobody (issue 13: it said "Sent by you").
	await expect(listed).toContainText('Uploaded by you · not sent to any chat');
	await expect(listed).not.toContainText('Sent by you');
});

test('a reload mid-way resumes when the same file is added again; a picked file can be deleted after a confirmation', async ({ page, signUp, pageErrors }) => {
	pageErrors.allow(/^Failed to load resource: net::ERR_FAILED$/, "the upload's HEAD and PATCH requests are aborted on purpose (route.abort)");
	const account = await signUp();
	await signIn(page, account);
	await page.goto('/app/files');
	await useSmallChunks(page);

	// From the third PATCH on, nothing gets through (its retries neither), and the tab is reloaded.
	let cut = true;
	await page.route('**/files/*', async (route) => {
		const request = route.request();
		const offset = Number(request.headers()['upload-offset'] ?? 0);
		if (cut && (request.method() === 'HEAD' || (request.method() === 'PATCH' && offset >= 2 * CHUNK))) await route.abort('failed');
		else await route.continue();
	});
	const third = page.waitForRequest((r) => r.method() === 'PATCH' && Number(r.headers()['upload-offset']) >= 2 * CHUNK);
	await dropFile(page, SIZE, 11, 'report.bin');
	await third;
	// The upload's URL stays in localStorage under the file's fingerprint (name, type, size, date).
	await page.reload();
	cut = false;
	// The page remembers it, and says how to go on.
	const unfinished = page.getByTestId('unfinished');
	await expect(unfinished).toContainText('report.bin');
	await expect(unfinished).toContainText('Add the same file again');
	const offsets = patchOffsets(page);
	await dropFile(page, SIZE, 11, 'report.bin');
	const row = page.getByTestId('upload');
	await expect(row).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
	expect(offsets).toEqual([2 * CHUNK, 3 * CHUNK]);
	await expect(unfinished).toHaveCount(0);
	const listed = page.getByTestId('file-row').filter({ hasText: 'report.bin' });
	await expect(listed).toHaveCount(1);
	const download = await page.request.get(`/files/${await listed.getAttribute('data-file-id')}`);
	expect(sha256(await download.body())).toBe(sha256(Buffer.from(pseudoRandom(SIZE, 11))));

	// The picker, then delete with a confirmation.
	await page.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('a few notes\n') });
	const notes = page.getByTestId('file-row').filter({ hasText: 'notes.txt' });
	await expect(notes).toHaveCount(1);
	await expect(notes).toContainText('Text');
	await notes.getByRole('button', { name: 'Delete notes.txt' }).click();
	const dialog = page.getByRole('dialog', { name: 'Delete this file?' });
	await expect(dialog).toBeVisible();
	await dialog.getByRole('button', { name: 'Delete' }).click();
	await expect(notes).toHaveCount(0);
	await expect(page.getByTestId('file-row')).toHaveCount(1);

	// Sorting by name and searching.
	await page.getByLabel('Search files by name').fill('nothing like it');
	await expect(page.getByTestId('files-empty')).toContainText('nothing like it');
	await page.getByLabel('Search files by name').fill('REPORT');
	await expect(page.getByTestId('file-row')).toHaveCount(1);
});
