// The thread view with a long history: one private thread of 10,000 messages (2,000 with --quick),
// opened in Chromium against the built app. Measures the time to show the newest message, paging all
// the way back to the first message (the view must not move while pages come in above it), how many
// bubbles are in the DOM at most, frame times while scrolling through everything loaded, and the time
// from sending one more message to seeing it. Writes bench/results/chat-ui.json and prints a summary.
//
//   npm run build && npm run bench -- chat-ui [--quick]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from '@playwright/test';
import type { WebHandler } from '../server/app.js';
import { befriend, connectBot, scrollToTopAndMark, sendAll } from '../tests/e2e/chat-helpers.js';
import { startParley } from '../tests/helpers/parley.js';

const quick = process.argv.includes('--quick');
const total = quick ? 2_000 : 10_000;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// PARLEY_BUILD_DIR: a copy of build/ to test (with a package.json saying "type": "module" if outside
// the repository), so a rebuild in the working tree cannot pull assets away mid-run.
const handlerFile = path.join(process.env.PARLEY_BUILD_DIR ?? path.join(root, 'build'), 'handler.js');
if (!fs.existsSync(handlerFile)) {
	console.error('no build/handler.js: run `npm run build` first');
	process.exit(2);
}
const { handler } = (await import(pathToFileURL(handlerFile).href)) as { handler: WebHandler };

const t = await startParley('sqlite', { parley: { web: handler, chatLimits: { sendsPerWindow: 1_000_000 } } });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
	const alice = await t.signUp({ displayName: 'Alice Bench' });
	const bob = await t.signUp({ displayName: 'Bob Bench' });
	// The browser tests' bots: typed requests that throw on a refusal (the send limit is lifted above).
	const [a, b] = await Promise.all([alice, bob].map((u) => connectBot(t.baseUrl, { username: u.user.username, password: u.password })));
	const thread = await befriend(a, b);

	const seedStart = Date.now();
	const lorem = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.';
	for (let n = 1; n <= total; n++) {
		// Varied lengths and line counts, as real chat has, so heights vary and estimates are tested.
		const text = `#${n} ${lorem.slice(0, (n * 37) % lorem.length)}${n % 11 === 0 ? '\nand a second line' : ''}${n % 29 === 0 ? `\n${lorem}` : ''}`;
		await sendAll(n % 2 ? a : b, thread.id, [text]);
	}
	await a.request('messages:read', { threadId: thread.id, seq: total });
	const seedMs = Date.now() - seedStart;
	console.log(`seeded ${total} messages in ${(seedMs / 1000).toFixed(1)} s`);

	const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 800 } });
	// tsx names functions with a `__name` helper that pages do not have; the evaluated ones need it.
	await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
	const page = await context.newPage();
	await page.goto('/login');
	await page.getByLabel('Username or email', { exact: true }).fill(alice.user.username);
	await page.getByLabel('Password', { exact: true }).fill(alice.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(/\/app$/);

	const loadBefore = os.loadavg()[0];
	const openStart = Date.now();
	await page.goto(`/app/t/${thread.id}`);
	await page.locator(`[data-testid="message"][data-seq="${total}"]`).waitFor();
	const openMs = Date.now() - openStart;

	const list = page.getByRole('list', { name: 'Messages with Bob Bench' });
	const setSize = () => list.getByRole('listitem').first().getAttribute('aria-setsize').then(Number);
	const domBubbles = () => page.locator('[data-testid="message"]').count();

	// Page back to the first message; after each page the message that was on top must not have moved.
	let maxBubbles = await domBubbles();
	let worstShift = 0;
	let pages = 0;
	const pagingStart = Date.now();
	while ((await setSize()) < total + 2) {
		const before = await setSize();
		const top = await scrollToTopAndMark(list);
		if (!top) throw new Error(`no message on screen at the top of ${before} rows`);
		for (let i = 0; (await setSize()) === before; i++) {
			if (i > 400) throw new Error(`no older page came after ${before} rows`);
			await page.waitForTimeout(10);
		}
		await page.waitForTimeout(30);
		const box = await page.locator(`[data-testid="message"][data-seq="${top.seq}"]`).boundingBox();
		worstShift = Math.max(worstShift, Math.abs((box?.y ?? Infinity) - top.y));
		maxBubbles = Math.max(maxBubbles, await domBubbles());
		pages++;
	}
	const pagingMs = Date.now() - pagingStart;

	// Scroll through everything loaded, 400 px a frame, and time the frames.
	const frames = await list.evaluate(async (el) => {
		el.scrollTop = 0;
		const times: number[] = [];
		let last = performance.now();
		let bubbles = 0;
		await new Promise<void>((resolve) => {
			const step = (now: number) => {
				times.push(now - last);
				last = now;
				bubbles = Math.max(bubbles, el.querySelectorAll('[data-testid="message"]').length);
				el.scrollTop += 400;
				if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) resolve();
				else requestAnimationFrame(step);
			};
			requestAnimationFrame(step);
		});
		times.sort((x, y) => x - y);
		const at = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))];
		return { count: times.length, p50: at(0.5), p95: at(0.95), max: times[times.length - 1], bubbles };
	});
	maxBubbles = Math.max(maxBubbles, frames.bubbles);

	// One more message with everything loaded.
	const composer = page.getByLabel('Message to Bob Bench');
	const sendStart = Date.now();
	await composer.fill('one more, at the end of a long thread');
	await composer.press('Enter');
	await page.getByTestId('message-text').filter({ hasText: 'one more, at the end of a long thread' }).waitFor();
	const sendMs = Date.now() - sendStart;
	const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null);

	const results = {
		messages: total,
		seedSeconds: seedMs / 1000,
		openToNewestMs: openMs,
		pagesLoaded: pages,
		pagingAllMs: pagingMs,
		worstShiftPx: worstShift,
		maxBubblesInDom: maxBubbles,
		scrollFramesMs: { frames: frames.count, p50: frames.p50, p95: frames.p95, max: frames.max },
		sendToSeenMs: sendMs,
		jsHeapMiB: heap === null ? null : Math.round(heap / 1024 / 1024),
		// Other work on the machine skews everything: the load average before and after says how much.
		loadAverage: { before: loadBefore, after: os.loadavg()[0] },
		machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, chromium: browser.version() }
	};
	fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
	fs.writeFileSync(path.join(root, 'bench', 'results', 'chat-ui.json'), JSON.stringify(results, null, '\t') + '\n');
	console.table(results);
	a.close();
	b.close();
	await context.close();
} finally {
	await browser.close();
	await t.stop();
}
