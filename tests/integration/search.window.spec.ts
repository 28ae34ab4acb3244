import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as searchMigration from '../../migrations/20261207_0011_search.js';
import type { MessagesSearchResponse, SearchHit } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, ok, people, send, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

function word(): string {
	return `v${Math.random().toString(36).slice(2, 10).replace(/\d/g, 'x')}`;
}

const WINDOW = 6;

async function pages(p: Person, query: string, limit: number): Promise<{ hits: SearchHit[]; pages: number }> {
	const hits: SearchHit[] = [];
	let cursor: string | undefined;
	for (let n = 1; n <= 20; n++) {
		const answer = await ok<MessagesSearchResponse>(p.socket, 'messages:search', { query, limit, ...(cursor ? { cursor } : {}) });
		hits.push(...answer.hits);
		if (answer.next === null) return { hits, pages: n };
		cursor = answer.next;
	}
	throw new Error(`"${query}" still had a next page after 20`);
}

// docs/ARCHITECTURE.md, "Search": a search ranks the newest `searchWindow` matches of the index, not
// every match. Here the window is 6, so a handful of messages shows what a real one (1,051) does. On
// MariaDB through the FULLTEXT index (`searchScanBelow` 0); search.scan.spec.ts checks the LIKE scan.
describe.each(backendNames())('messages:search window on %s', (backend) => {
	let t: TestParley;
	let a: Person, b: Person;
	let ab: string;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 }, chatLimits: { sendsPerWindow: 10_000, searchesPerWindow: 10_000, readsPerWindow: 100_000, searchWindow: WINDOW, searchScanBelow: 0 } } });
		[a, b] = await people(t, 2);
		ab = (await befriend(a, b)).id;
	});
	afterAll(async () => t?.stop());

	it('ranks only the newest matches: the most relevant of them first, the older ones not at all', async () => {
		const w = word();
		const oldStrong = await send(a.socket, ab, `${w} ${w} ${w} ${w}`);
		const older = [];
		for (let i = 0; i < 3; i++) older.push(await send(a.socket, ab, `older ${w} message number ${i} with some more words`));
		const newer = [];
		for (let i = 0; i < 4; i++) newer.push(await send(a.socket, ab, `newer ${w} message number ${i} with some more words`));
		const strong = await send(a.socket, ab, `${w} ${w}`);
		await send(a.socket, ab, `unrelated words only`);
		const newest = await send(a.socket, ab, `the newest ${w} message of all, with many more words in it than the rest`);
		// The window: `newest`, `strong`, the four `newer`; `oldStrong` would outrank them all but is outside.
		const { hits } = await ok<MessagesSearchResponse>(b.socket, 'messages:search', { query: w, limit: 50 });
		expect(hits.map((h) => h.messageId)).toEqual([strong.id, ...newer.map((m) => m.id).reverse(), newest.id]);
		expect(hits.map((h) => h.messageId)).not.toContain(oldStrong.id);
		expect(hits.map((h) => h.messageId)).not.toContain(older[2].id);
		// Only that thread: the same window.
		const inThread = await ok<MessagesSearchResponse>(b.socket, 'messages:search', { query: w, threadId: ab, limit: 50 });
		expect(inThread.hits.map((h) => h.messageId)).toEqual(hits.map((h) => h.messageId));
	});

	it('pages through one window in the order of a single page, with no repeats and nothing skipped', async () => {
		const w = word();
		for (let i = 0; i < 9; i++) await send(a.socket, ab, `${w} ${i % 3 === 0 ? `${w} ` : ''}page test ${'filler '.repeat(i % 4)}${i}`);
		const whole = await ok<MessagesSearchResponse>(b.socket, 'messages:search', { query: w, limit: 50 });
		expect(whole.hits).toHaveLength(WINDOW);
		expect(whole.next).toBeNull();
		for (const limit of [1, 2, 4, 5]) {
			const paged = await pages(b, w, limit);
			expect(paged.hits.map((h) => h.messageId), `limit ${limit}`).toEqual(whole.hits.map((h) => h.messageId));
			expect(new Set(paged.hits.map((h) => h.messageId)).size).toBe(WINDOW);
			expect(paged.pages).toBe(Math.ceil(WINDOW / limit));
		}
		// A message with the word twice in few words is the most relevant; equals are newest first.
		const twice = whole.hits.filter((h) => h.snippet.split(w).length === 3);
		expect(whole.hits.slice(0, twice.length)).toEqual(twice);
		const rest = whole.hits.slice(twice.length);
		expect(rest.every((h) => h.snippet.split(w).length === 2)).toBe(true);
	});

	it('a deleted or edited match leaves the window, and the next newest takes its place', async () => {
		const w = word();
		const sent = [];
		for (let i = 0; i < WINDOW + 2; i++) sent.push(await send(a.socket, ab, `${w} same length ${i}`));
		const ids = async () => (await ok<MessagesSearchResponse>(b.socket, 'messages:search', { query: w, limit: 50 })).hits.map((h) => h.messageId);
		// Equally relevant: newest first, the newest six.
		expect(await ids()).toEqual(sent.slice(2).map((m) => m.id).reverse());
		await ok(a.socket, 'messages:delete', { threadId: ab, seq: sent[7].seq });
		await ok(a.socket, 'messages:edit', { threadId: ab, seq: sent[6].seq, text: 'no longer the word' });
		expect(await ids()).toEqual(sent.slice(0, 6).map((m) => m.id).reverse());
	});

	it('migration 0011 down and up again indexes the messages already there (MariaDB once indexed none of them)', async () => {
		const w = word();
		const m = await send(a.socket, ab, `before the rebuild ${w}`);
		const db = t.parley.db.db;
		await searchMigration.down(db);
		await searchMigration.up(db);
		expect((await ok<MessagesSearchResponse>(b.socket, 'messages:search', { query: w })).hits.map((h) => h.messageId)).toEqual([m.id]);
		const n = await send(a.socket, ab, `after the rebuild ${w}`);
		expect((await ok<MessagesSearchResponse>(b.socket, 'messages:search', { query: w })).hits.map((h) => h.messageId).sort()).toEqual([m.id, n.id].sort());
	});
});
