import type { Browser, BrowserContext, Page } from '@playwright/test';
import sharp from 'sharp';
import { findWorkerBinary } from '../../server/media/worker-bin.js';
import { befriend, connectBot } from './chat-helpers.js';
import { fileCard } from './files-helpers.js';
import { expect, test, uniqueName, type Account } from './fixtures.js';

// The pages' Content-Security-Policy (svelte.config.js, kit.csp) must not break the app: everything a
// user does here runs under it and no violation may be reported. And no page may be framed.

test.describe.configure({ timeout: 120_000 });

const worker = findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN });

/**
 * Collects every CSP violation in the context's pages: the `securitypolicyviolation` event (attached
 * before any page script runs, again after each navigation) and Chromium's console report of it.
 */
async function watchCsp(context: BrowserContext): Promise<string[]> {
	const violations: string[] = [];
	await context.exposeBinding('__cspViolation', (_source, text: string) => void violations.push(text));
	await context.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) =>
			(window as unknown as { __cspViolation(text: string): void }).__cspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} in ${e.documentURI} (${e.sourceFile}:${e.lineNumber})`)
		);
	});
	context.on('console', (message) => {
		if (/content.security.policy/i.test(message.text())) violations.push(`console ${message.type()}: ${message.text()}`);
	});
	// Uncaught errors and other console errors fail the test through the `pageErrors` fixture (fixtures.ts).
	return violations;
}

async function watchedContext(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
	const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
	const violations = await watchCsp(context);
	return { context, page: await context.newPage(), violations };
}

async function png(width: number, height: number): Promise<Buffer> {
	return sharp({ create: { width, height, channels: 3, background: { r: 240, g: 140, b: 20 } } })
		.png()
		.toBuffer();
}

test('under the CSP: register, chat, an image thumbnail and its lightbox, the avatar cropper and the call test, with no violation', async ({ browser, parley, signUp }) => {
	const A = await watchedContext(browser, parley.baseURL);
	const B = await watchedContext(browser, parley.baseURL);

	// The page carries the policy, with a nonce for SvelteKit's inline script.
	const response = (await A.page.goto('/register'))!;
	const csp = response.headers()['content-security-policy'];
	for (const part of ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "connect-src 'self'", "img-src 'self' blob:"]) expect(csp).toContain(part);
	expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
	// Inline style attributes only (SvelteKit's route announcer has one); no inline script or <style>, no eval.
	const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name!, sources]));
	expect(directives.get('style-src-attr')).toEqual(["'unsafe-inline'"]);
	for (const name of ['script-src', 'style-src', 'default-src']) expect(directives.get(name)!.join(' '), name).not.toMatch(/unsafe-(inline|eval)/);
	expect(response.headers()).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin' });
	expect(response.headers()).not.toHaveProperty('strict-transport-security');
	const asset = await A.page.request.get('/favicon.svg');
	expect(asset.status()).toBe(200);
	expect(asset.headers()).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' });

	// Alice registers through the page.
	const username = uniqueName('csp');
	const alice: Account = { username, email: `${username}@example.test`, displayName: 'Alice Policy', password: 'Tr0ub4dor & three horses' };
	const field = (label: string) => A.page.getByLabel(label, { exact: true });
	const before = parley.smtp.mails.length;
	await field('Email').fill(alice.email);
	await A.page.getByRole('button', { name: 'Send code' }).click();
	await expect(A.page.getByText(`We sent a 6-digit code to ${alice.email}`)).toBeVisible();
	await field('Username').fill(alice.username);
	await expect(A.page.getByText(`@${alice.username} is available`)).toBeVisible();
	await field('Display name').fill(alice.displayName);
	await field('Password').fill(alice.password);
	await field('Verification code').fill(await parley.smtp.codeFor(alice.email, before));
	await field('Verification code').press('Enter');
	await expect(A.page).toHaveURL(/\/app$/);

	// Bob signs in through the login page; they are friends.
	const bob = await signUp({ displayName: 'Bob Policy' });
	const [aliceBot, bobBot] = await Promise.all([connectBot(parley.baseURL, alice), connectBot(parley.baseURL, bob)]);
	const thread = await befriend(aliceBot, bobBot);
	aliceBot.close();
	bobBot.close();
	await B.page.goto('/login');
	await B.page.getByLabel('Username or email', { exact: true }).fill(bob.username);
	await B.page.getByLabel('Password', { exact: true }).fill(bob.password);
	await B.page.getByRole('button', { name: 'Sign in' }).click();
	await expect(B.page).toHaveURL(/\/app$/);

	// A message over the socket, both ways of the page.
	await Promise.all([A.page.goto(`/app/t/${thread.id}`), B.page.goto(`/app/t/${thread.id}`)]);
	const composer = A.page.getByLabel('Message to Bob Policy');
	await composer.fill('Hello under a strict policy');
	await composer.press('Enter');
	await expect(B.page.getByTestId('message-text').getByText('Hello under a strict policy', { exact: true })).toBeVisible();

	// An image: Bob sees its thumbnail and opens it full size.
	const [chooser] = await Promise.all([A.page.waitForEvent('filechooser'), A.page.getByRole('button', { name: 'Attach files' }).click()]);
	await chooser.setFiles({ name: 'policy.png', mimeType: 'image/png', buffer: await png(640, 480) });
	const thumb = fileCard(B.page, 'policy.png').getByRole('button', { name: 'Open policy.png full size' });
	await expect(thumb).toBeVisible({ timeout: 30_000 });
	await expect.poll(() => thumb.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
	await thumb.click();
	const lightbox = B.page.getByRole('dialog', { name: 'policy.png, full size' });
	await expect.poll(() => lightbox.getByTestId('lightbox-image').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(640);
	await B.page.keyboard.press('Escape');
	await expect(lightbox).toBeHidden();

	// The avatar cropper shows the picked file through a blob: URL; the cropped photo is saved and shown.
	await A.page.getByRole('link', { name: /^Your profile/ }).click();
	await A.page.getByLabel('Photo file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: await png(900, 600) });
	const dialog = A.page.getByRole('dialog', { name: 'Crop your photo' });
	const cropped = dialog.getByRole('application', { name: /Crop area/ }).locator('img');
	await expect(cropped).toHaveAttribute('src', /^blob:/);
	await expect.poll(() => cropped.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(900);
	await dialog.getByRole('button', { name: 'Use this photo' }).click();
	await expect(A.page.getByText('Your new photo is saved.')).toBeVisible({ timeout: 30_000 });
	const headerImg = A.page.getByRole('link', { name: /^Your profile/ }).locator('img');
	await expect.poll(() => headerImg.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(512);

	// The call test: camera and microphone previews, and (with a mediasoup worker) media back from the SFU.
	await A.page.goto('/call-test');
	await expect(A.page.getByTestId('check-camera')).toHaveAttribute('data-state', 'ok');
	await expect(A.page.getByTestId('check-microphone')).toHaveAttribute('data-state', 'ok');
	if (!('error' in worker)) await expect(A.page.getByTestId('check-server')).toHaveAttribute('data-state', 'ok', { timeout: 30_000 });

	expect(A.violations, 'CSP violations in Alice’s pages').toEqual([]);
	expect(B.violations, 'CSP violations in Bob’s pages').toEqual([]);
	await Promise.all([A.context.close(), B.context.close()]);
});

test('no page can be framed: another origin framing the login page gets nothing', async ({ browser, parley, pageErrors }) => {
	pageErrors.allow(/^Framing '[^']+' violates the following Content Security Policy directive: "frame-ancestors 'none'"/, 'the refusal this test provokes is logged as an error');
	const { context, page } = await watchedContext(browser, parley.baseURL);
	const blocked: string[] = [];
	page.on('console', (message) => /frame-ancestors|X-Frame-Options/i.test(message.text()) && blocked.push(message.text()));
	// Another origin (about:blank, a page without a policy of its own) frames the login page.
	await page.setContent(`<iframe src="${parley.baseURL}/login" title="parley"></iframe>`);
	await expect.poll(() => blocked.length).toBeGreaterThan(0);
	expect(blocked.join('\n')).toContain("frame-ancestors 'none'");
	const frame = page.frames().find((f) => f !== page.mainFrame())!;
	await expect(frame.getByRole('button', { name: 'Sign in' })).toHaveCount(0);
	expect(frame.url()).not.toBe(`${parley.baseURL}/login`);
	await context.close();
});
