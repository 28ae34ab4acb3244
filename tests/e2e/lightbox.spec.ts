import sharp from 'sharp';
import { signedInPage, twoFriends } from './chat-helpers.js';
import { expect, test } from './fixtures.js';
import { fileCard } from './files-helpers.js';

// Issue 13: the image viewer did not fit tall images to the window, and the app header showed
// through its bar over the download button.
test.describe.configure({ mode: 'parallel' });

for (const viewport of [
	{ width: 1280, height: 720 },
	{ width: 360, height: 740 }
]) {
	test(`a tall image fits the viewer, whose download button is on top (${viewport.width} px)`, async ({ browser, parley, signUp }) => {
		const { alice, a, b, thread } = await twoFriends({ parley, signUp }, ['Alice Tall', 'Bob Tall']);
		const tall = await sharp({ create: { width: 400, height: 3000, channels: 3, background: { r: 10, g: 132, b: 214 } } }).png().toBuffer();

		const { context, page } = await signedInPage(browser, parley.baseURL, alice, { viewport });
		await page.goto(`/app/t/${thread.id}`);
		const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Attach files' }).click()]);
		await chooser.setFiles({ name: 'tall.png', mimeType: 'image/png', buffer: tall });
		const thumb = fileCard(page, 'tall.png').getByRole('button', { name: 'Open tall.png full size' });
		await expect(thumb).toBeVisible({ timeout: 30_000 });
		await thumb.click();

		const viewer = page.getByRole('dialog', { name: 'tall.png, full size' });
		const image = viewer.getByTestId('lightbox-image');
		await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalHeight)).toBe(3000);
		// Whole, in its proportions, inside the window.
		const box = (await image.boundingBox())!;
		expect(box.y).toBeGreaterThanOrEqual(0);
		expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
		expect(box.x).toBeGreaterThanOrEqual(0);
		expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
		expect(box.height).toBeGreaterThan(viewport.height / 2);
		expect(Math.abs(box.width / box.height - 400 / 3000)).toBeLessThan(0.01);

		// The download button is what is there at its middle (no header over it), and nothing shows through the bar.
		const download = viewer.getByRole('link', { name: 'Download tall.png' });
		const onTop = await download.evaluate((el) => {
			const r = el.getBoundingClientRect();
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return !!hit && (hit === el || el.contains(hit));
		});
		expect(onTop).toBe(true);
		const barColor = await download.evaluate((el) => getComputedStyle(el.parentElement!).backgroundColor);
		expect(barColor).toBe('rgb(8, 8, 10)');

		await page.keyboard.press('Escape');
		await expect(viewer).toBeHidden();
		a.close();
		b.close();
		await context.close();
	});
}
