// Accept → first decoded remote frame, for bench/calls.ts: two Chromium pages (fake camera and
// microphone, as the browser tests use) signed in to a built Parley, the caller starting a video call
// from the private thread and the callee accepting it on the incoming-call card, `calls` times over.
// Times are taken inside the pages, not by this process: the callee's page stamps the Accept click in
// a capture-phase listener, and each page polls its call's stats (`window.__parleyCall.stats()`, the
// getStats totals) every 10 ms until `framesDecoded > 0`, stamping that moment. Both pages run in one
// browser on one machine, so their wall clocks (performance.timeOrigin + now()) are the same clock.
import { chromium, type Browser, type Page } from '@playwright/test';
import { signedInPage } from '../../tests/e2e/chat-helpers.js';
import type { Account } from './built-parley.js';

export interface CallTiming {
	/** Accept click → the caller's first decoded frame of the callee's camera, ms. */
	callerMs: number;
	/** Accept click → the callee's first decoded frame of the caller's camera, ms. */
	calleeMs: number;
	/** The later of the two: both see each other. */
	bothMs: number;
}

export interface CallTimingOptions {
	baseUrl: string;
	caller: Account;
	callee: Account;
	threadId: string;
	calls: number;
	/** How long one call may take to show frames before the run fails. Default 30 s. */
	timeoutMs?: number;
	log?: (line: string) => void;
}

export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--use-fake-device-for-media-stream',
	'--use-fake-ui-for-media-stream',
	'--disable-background-networking',
	'--disable-dev-shm-usage',
	'--disable-gpu',
	// Both pages stay live although only one can be in front.
	'--disable-background-timer-throttling',
	'--disable-renderer-backgrounding',
	'--disable-backgrounding-occluded-windows'
];

/** Arms both pages: the callee stamps its Accept click, both stamp their first decoded remote frame. */
async function arm(page: Page, stampAccept: boolean): Promise<void> {
	// tsx names functions with a `__name` helper that pages do not have; the evaluated ones need it.
	await page.evaluate('globalThis.__name = (f) => f');
	await page.evaluate((stampAccept) => {
		type Hook = { stats(): Promise<{ inbound: { video: { framesDecoded: number } } } | null> };
		const w = window as unknown as { __parleyCall?: Hook; __bench?: { acceptAt: number | null; frameAt: Promise<number> } };
		const now = () => performance.timeOrigin + performance.now();
		const bench = { acceptAt: null as number | null, frameAt: null as unknown as Promise<number> };
		bench.frameAt = new Promise<number>((resolve) => {
			const tick = async () => {
				const s = await w.__parleyCall?.stats().catch(() => null);
				if (s && s.inbound.video.framesDecoded > 0) resolve(now());
				else setTimeout(tick, 10);
			};
			void tick();
		});
		if (stampAccept) {
			const onClick = (event: Event) => {
				const button = (event.target as Element | null)?.closest?.('button');
				if (button?.getAttribute('aria-label')?.startsWith('Accept')) {
					bench.acceptAt = now();
					document.removeEventListener('click', onClick, true);
				}
			};
			document.addEventListener('click', onClick, true);
		}
		w.__bench = bench;
	}, stampAccept);
}

const frameAt = (page: Page) => page.evaluate(() => (window as unknown as { __bench: { frameAt: Promise<number> } }).__bench.frameAt);
const acceptAt = (page: Page) => page.evaluate(() => (window as unknown as { __bench: { acceptAt: number | null } }).__bench.acceptAt);

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function timeCalls(options: CallTimingOptions): Promise<{ rows: CallTiming[]; chromium: string }> {
	const timeoutMs = options.timeoutMs ?? 30_000;
	const browser: Browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
	try {
		const A = await signedInPage(browser, options.baseUrl, options.caller);
		const B = await signedInPage(browser, options.baseUrl, options.callee);
		for (const p of [A.page, B.page]) p.setDefaultTimeout(timeoutMs);
		await A.page.goto(`/app/t/${options.threadId}`);
		await A.page.getByRole('button', { name: `Video call ${options.callee.displayName}` }).waitFor();
		const rows: CallTiming[] = [];
		for (let i = 0; i < options.calls; i++) {
			await arm(A.page, false);
			await arm(B.page, true);
			await A.page.getByRole('button', { name: `Video call ${options.callee.displayName}` }).click();
			await B.page.getByRole('button', { name: `Accept video call from ${options.caller.displayName}` }).click();
			const [a, b] = await within(Promise.all([frameAt(A.page), frameAt(B.page)]), timeoutMs, `call ${i + 1}: first decoded frame`);
			const accepted = await acceptAt(B.page);
			if (accepted === null) throw new Error(`call ${i + 1}: the Accept click was not seen by the page`);
			const row = { callerMs: a - accepted, calleeMs: b - accepted, bothMs: Math.max(a, b) - accepted };
			rows.push(row);
			options.log?.(`call ${i + 1}: caller ${row.callerMs.toFixed(0)} ms, callee ${row.calleeMs.toFixed(0)} ms`);
			// Hang up and wait until both views are gone (each shows "Call ended" for a moment first).
			await A.page.getByTestId('hangup').click();
			for (const p of [A.page, B.page]) await p.getByTestId('call-view').waitFor({ state: 'hidden' });
			await A.page.waitForTimeout(300);
		}
		await A.context.close();
		await B.context.close();
		return { rows, chromium: browser.version() };
	} finally {
		await browser.close();
	}
}
