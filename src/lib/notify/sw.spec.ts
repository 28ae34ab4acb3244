import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

// The service worker's decisions (static/sw.js, `parleySw`), run as the browser runs the file: a
// classic script, here in a context without a service worker scope, so it adds no listeners.
// tests/e2e/push-sw.spec.ts covers the same inside Chromium's real worker.

interface Win {
	url: string;
	focused: boolean;
	visibilityState: 'visible' | 'hidden';
}
interface ParleySw {
	notificationFor(text: string): { title: string; options: { body: string; tag: string; data: { threadId: string | null } } };
	skipFor(windows: Win[], scope: string): boolean;
	clickTarget(windows: Win[], threadId: string | null): { window?: Win; open?: string };
	recheckMs: number;
	onPush(text: string): Promise<boolean>;
}

/** A worker scope whose `clients.matchAll` answers each call with the next of `answers`. */
function fakeWorker(answers: Win[][]) {
	const state = { looks: 0, shown: [] as string[] };
	const self = {
		registration: {
			scope: 'http://localhost:3000/',
			showNotification: async (title: string) => void state.shown.push(title)
		},
		clients: { matchAll: async () => answers[Math.min(state.looks++, answers.length - 1)] }
	};
	const worker = vm.runInNewContext(`${source}\n;parleySw`, { URL, self, setTimeout }) as ParleySw;
	worker.recheckMs = 5;
	return { worker, state };
}

const source = fs.readFileSync(path.resolve(import.meta.dirname, '../../../static/sw.js'), 'utf8');
const sw = vm.runInNewContext(`${source}\n;parleySw`, { URL }) as ParleySw;
const win = (url: string, over: Partial<Win> = {}): Win => ({ url: `http://localhost:3000${url}`, focused: false, visibilityState: 'hidden', ...over });

describe('service worker', () => {
	it('shows the server\'s payload, one notification per thread', () => {
		expect(sw.notificationFor(JSON.stringify({ threadId: 't1', title: 'Alice in Hikers', body: 'See you at 6' }))).toEqual({
			title: 'Alice in Hikers',
			options: { body: 'See you at 6', tag: 'thread:t1', data: { threadId: 't1' } }
		});
	});

	it('shows something for any other push: plain text as the body, "Parley" and "New message" for what is missing', () => {
		expect(sw.notificationFor('hello')).toEqual({ title: 'Parley', options: { body: 'hello', tag: 'parley', data: { threadId: null } } });
		expect(sw.notificationFor('')).toEqual({ title: 'Parley', options: { body: 'New message', tag: 'parley', data: { threadId: null } } });
		expect(sw.notificationFor('{"threadId": 7, "title": ""}').options).toEqual({ body: 'New message', tag: 'parley', data: { threadId: null } });
		expect(sw.notificationFor('null').title).toBe('Parley');
	});

	it('skips the notification only while a Parley page is visible', () => {
		const scope = 'http://localhost:3000/';
		expect(sw.skipFor([], scope)).toBe(false);
		expect(sw.skipFor([win('/app/t/t1'), win('/login')], scope)).toBe(false);
		// The URL a worker sees is the one the tab loaded: /login while the app now shows the chat.
		expect(sw.skipFor([win('/app/t/t1'), win('/login', { visibilityState: 'visible' })], scope)).toBe(true);
	});

	it('does not count a visible window that is no longer on a Parley URL (a tab leaving for about:blank)', () => {
		const scope = 'http://localhost:3000/';
		const away = (url: string): Win => ({ url, focused: true, visibilityState: 'visible' });
		expect(sw.skipFor([away('about:blank'), win('/app')], scope)).toBe(false);
		expect(sw.skipFor([away('http://localhost:3001/app'), away('http://example.com/')], scope)).toBe(false);
		expect(sw.skipFor([away('http://localhost:3000/app')], 'http://localhost:3000/app/')).toBe(false);
		expect(sw.skipFor([away('http://localhost:3000/app/t/1')], 'http://localhost:3000/app/')).toBe(true);
	});

	it('looks again before staying silent: shows when the visible page has gone by then', async () => {
		const { worker, state } = fakeWorker([[win('/app', { visibilityState: 'visible' })], [win('/app')]]);
		expect(await worker.onPush('{"threadId":"t1","title":"Bob"}')).toBe(true);
		expect(state).toEqual({ looks: 2, shown: ['Bob'] });
	});

	it('stays silent when a Parley page is still visible on the second look, and looks once when none is', async () => {
		const still = fakeWorker([[win('/app', { visibilityState: 'visible' })]]);
		expect(await still.worker.onPush('hi')).toBe(false);
		expect(still.state).toEqual({ looks: 2, shown: [] });
		const none = fakeWorker([[win('/app')]]);
		expect(await none.worker.onPush('hi')).toBe(true);
		expect(none.state).toEqual({ looks: 1, shown: ['Parley'] });
	});

	it('sends a click to the focused Parley tab, else a visible one, else any, else opens the thread', () => {
		const back = win('/app/friends');
		const shown = win('/login', { visibilityState: 'visible' });
		const focused = win('/app/t/t2', { visibilityState: 'visible', focused: true });
		expect(sw.clickTarget([back, shown, focused], 't1')).toEqual({ window: focused });
		expect(sw.clickTarget([back, shown], 't1')).toEqual({ window: shown });
		expect(sw.clickTarget([back], 't1')).toEqual({ window: back });
		expect(sw.clickTarget([], 't 1/x')).toEqual({ open: '/app/t/t%201%2Fx' });
		expect(sw.clickTarget([], null)).toEqual({ open: '/app' });
	});
});
