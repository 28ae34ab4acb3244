import { expect, test } from './fixtures.js';
import { dropOn, MiB, seededTransfer, useSmallChunks } from './files-helpers.js';

// Under FILES_UPLOAD_RATE the page's upload is paced by the server, never refused: the progress bar
// goes up step by step and the upload ends as a file, with no error on the way. Workers of their own
// (the setting is the server's).
const RATE = MiB;
test.use({ serverEnv: { FILES_UPLOAD_RATE: '1MiB/s' } });
test.describe.configure({ timeout: 120_000 });

test('a paced upload advances steadily on the Files page and finishes, without an error', async ({ page, signUp }) => {
	const account = await signUp();
	await page.goto('/login');
	await page.getByLabel('Username or email', { exact: true }).fill(account.username);
	await page.getByLabel('Password', { exact: true }).fill(account.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(/\/app/);
	await page.goto('/app/files');
	// 1 MiB PATCHes: the bar moves as the server takes each, not as the browser's socket buffers fill.
	await useSmallChunks(page);

	const SIZE = 6 * MiB;
	const start = Date.now();
	await dropOn(page.getByTestId('drop-zone'), await seededTransfer(page, { size: SIZE, seed: 17, name: 'paced.bin' }));
	const row = page.getByTestId('upload');
	const bar = row.getByRole('progressbar', { name: 'Uploading paced.bin' });
	const seen = new Set<number>();
	const statuses = new Set<string>();
	for (;;) {
		const status = (await row.getAttribute('data-status')) ?? '';
		statuses.add(status);
		if (status === 'done' || status === 'error') break;
		const value = await bar.getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => null);
		if (value !== null) seen.add(Number(value));
		await page.waitForTimeout(200);
	}
	expect([...statuses].filter((s) => !['uploading', 'finishing', 'done'].includes(s)), 'statuses other than uploading, finishing and done').toEqual([]);
	// At least (size - burst) / rate: paced; and seen part way at several points, not 0 then 100.
	expect(Date.now() - start).toBeGreaterThanOrEqual(((SIZE - RATE) / RATE) * 1000);
	const between = [...seen].filter((v) => v > 0 && v < 100);
	expect(between.length, `progress values seen: ${[...seen].sort((a, b) => a - b).join(', ')}`).toBeGreaterThanOrEqual(3);
	await expect(page.getByTestId('file-row').filter({ hasText: 'paced.bin' })).toHaveCount(1);
});
