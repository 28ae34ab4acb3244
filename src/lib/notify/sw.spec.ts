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
	skipFor(windows: Win[]): boolean;
	clickTarget(windows: Win[], threadId: string | null): { window?: Win; open?: string };
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
		expect(sw.skipFor([])).toBe(false);
		expect(sw.skipFor([win('/app/t/t1'), win('/login')])).toBe(false);
		// The URL a worker sees is the one the tab loaded: /login while the app now shows the chat.
		expect(sw.skipFor([win('/app/t/t1'), win('/login', { visibilityState: 'visible' })])).toBe(true);
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
