import type { Page } from '@playwright/test';
import { findWorkerBinary } from '../../server/media/worker-bin.js';
import type { CallStats } from '../../src/lib/call/transport.js';
import { expect } from './fixtures.js';

/** This machine's mediasoup worker, or why there is none (browser call tests skip outside CI without one). */
export const worker = findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN });
export const noWorker = 'error' in worker && !(process.env.CI === 'true' || process.env.CI === '1');

/** The call's RTP totals, read through the page's read-only hook. */
export function stats(page: Page): Promise<CallStats | null> {
	return page.evaluate(() => (window as unknown as { __parleyCall?: { stats(): Promise<CallStats | null> } }).__parleyCall?.stats() ?? null);
}

/** Waits until `pick` of the stats grows past its value now (and past `min`). */
export async function grows(page: Page, pick: (s: CallStats) => number, min = 0, timeout = 20_000): Promise<void> {
	const first = await stats(page);
	const start = first ? pick(first) : 0;
	await expect
		.poll(
			async () => {
				const s = await stats(page);
				return s ? pick(s) : -1;
			},
			{ timeout, intervals: [250, 500, 1000] }
		)
		.toBeGreaterThan(Math.max(start, min));
}
