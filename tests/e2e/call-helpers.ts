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

/** What a page's call is doing, for a failure's message: the phase, the totals, each consumer and tile wish, any notice on screen. */
export async function describeCall(page: Page): Promise<string> {
	const hook = await page
		.evaluate(async () => {
			const h = (window as unknown as { __parleyCall?: { phase(): string; stats(): Promise<unknown>; consumers(): unknown; wants(): unknown } }).__parleyCall;
			return h ? { phase: h.phase(), stats: await h.stats(), consumers: h.consumers(), wants: h.wants() } : 'no call hook';
		})
		.catch((error: unknown) => `page unreadable: ${String(error)}`);
	const notices = await page.getByRole('alert').allInnerTexts().catch(() => []);
	return JSON.stringify({ url: page.url(), notices, hook });
}

/**
 * Waits until the video frames `page` decoded from `userId` grow past their value now (and past `min`);
 * if they do not, the failure says what both ends were doing (`from`: the sender's page).
 */
export async function decodes(page: Page, userId: string, options: { min?: number; from?: Page; timeout?: number } = {}): Promise<void> {
	const frames = async () => (await stats(page))?.inbound.framesByUser[userId] ?? -1;
	const start = await frames();
	try {
		await expect.poll(frames, { timeout: options.timeout ?? 30_000, intervals: [250, 500, 1000] }).toBeGreaterThan(Math.max(start, options.min ?? 0));
	} catch (error) {
		const sender = options.from ? `\nsender: ${await describeCall(options.from)}` : '';
		throw new Error(`no video frames from ${userId} decoded\nreceiver: ${await describeCall(page)}${sender}\n${error instanceof Error ? error.message : String(error)}`);
	}
}

/** Runs a step of a call test; if it fails, the failure says what each of `pages`' calls was doing. */
export async function explained(pages: Record<string, Page>, step: () => Promise<void>): Promise<void> {
	try {
		await step();
	} catch (error) {
		const states = await Promise.all(Object.entries(pages).map(async ([who, page]) => `${who}: ${await describeCall(page)}`));
		throw new Error(`${error instanceof Error ? error.message : String(error)}\n${states.join('\n')}`);
	}
}
