import sharp from 'sharp';
import { expect, test } from './fixtures.js';
import { signIn, uploadThroughNetworkLoss } from './files-helpers.js';

// The worker's server keeps its files in a bucket of an S3 server of its own (FILES_STORE), not on
// its disk: what a person does on the Files page works the same.
test.use({ s3: true });
test.describe.configure({ timeout: 120_000 });

test('files in an S3 bucket: an upload cut by a lost network resumes from the offset the bucket holds and downloads identical; an image shows its thumbnail; a delete empties the bucket of it', async ({ page, signUp, parley }) => {
	await signIn(page, await signUp());
	const listed = await uploadThroughNetworkLoss(page, 'in the bucket.bin');
	const fileId = (await listed.getAttribute('data-file-id'))!;
	const keys = await parley.s3!.keys();
	expect(keys.filter((key) => !key.includes('.'))).toHaveLength(1);

	const image = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 200, g: 80, b: 40 } } }).png().toBuffer();
	const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Choose files' }).click()]);
	await chooser.setFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: image });
	const row = page.getByTestId('file-row').filter({ hasText: 'sunset.png' });
	await expect(row).toHaveCount(1, { timeout: 30_000 });
	const thumbnail = row.locator('img');
	await expect(thumbnail).toBeVisible();
	expect(await thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
	expect((await parley.s3!.keys()).some((key) => key.startsWith('thumbs/'))).toBe(true);

	await listed.getByRole('button', { name: 'Delete in the bucket.bin' }).click();
	await page.getByRole('dialog', { name: 'Delete this file?' }).getByRole('button', { name: 'Delete' }).click();
	await expect(listed).toHaveCount(0);
	const uploadKey = keys.find((key) => !key.includes('.'))!;
	await expect.poll(async () => (await parley.s3!.keys()).filter((key) => key.startsWith(uploadKey))).toEqual([]);
	expect((await page.request.get(`/files/${fileId}`)).status()).toBe(404);
});
