import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchTerms, type MessagesSearchResponse, type SearchHit } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, fails, ok, people, send, type Person } from '../helpers/chat.js';
import { befriendAll, createGroup } from '../helpers/groups.js';
import type { ClientSocket } from '../helpers/parley.js';
import { startParley, type TestParley } from '../helpers/parley.js';

/** The words a test makes are unique to it, so tests on one database never see each other's hits. */
function word(prefix = 'w'): string {
	return `${prefix}${Math.random().toString(36).slice(2, 10).replace(/\d/g, 'x')}`;
}

function search(socket: ClientSocket, query: string, extra: Record<string, unknown> = {}): Promise<MessagesSearchResponse> {
	return ok<MessagesSearchResponse>(socket, 'messages:search', { query, ...extra });
}

/** What each hit marks, as text. */
function marked(hit: SearchHit): string[] {
	return hit.ranges.map(([s, e]) => hit.snippet.slice(s, e));
}

// docs/PROTOCOL.md, "Search": messages:search on each database, with the index kept by the database
// itself (migration 0011), so edits and deletes made straight in the table are followed.
describe.each(backendNames())('messages:search on %s', (backend) => {
	let t: TestParley;
	let a: Person, b: Person, c: Person;
	let ab: string;
	beforeAll(async () => {
		// searchScanBelow 0: on MariaDB these go to the FULLTEXT index, not the LIKE scan a user with so
		// few messages would get (search.scan.spec.ts holds the two to the same answers).
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 }, chatLimits: { sendsPerWindow: 10_000, searchesPerWindow: 10_000, readsPerWindow: 100_000, searchScanBelow: 0 } } });
		[a, b, c] = await people(t, 3);
		ab = (await befriend(a, b)).id;
	});
	afterAll(async () => t?.stop());

	it('finds words at the start of words, in the members’ threads only, with thread, sender, snippet and ranges', async () => {
		const w = word();
		const sent = await send(a.socket, ab, `Shall we meet at the ${w}s on Friday? ${w.toUpperCase()} is best`);
		await send(a.socket, ab, 'nothing to see here');
		const { hits, next } = await search(b.socket, w.slice(0, 6));
		expect(next).toBeNull();
		expect(hits).toHaveLength(1);
		expect(hits[0]).toMatchObject({ messageId: sent.id, threadId: ab, seq: sent.seq, sentAt: sent.createdAt, thread: { kind: 'private', title: a.user.displayName } });
		expect(hits[0].sender).toMatchObject({ id: a.user.id, displayName: a.user.displayName, relationship: 'friend' });
		expect(hits[0].snippet).toBe(sent.text);
		expect(marked(hits[0])).toEqual([w.slice(0, 6), w.slice(0, 6).toUpperCase()]);
		// Both words required; the sender finds it too; a stranger finds nothing.
		expect((await search(a.socket, `friday ${w}`)).hits.map((h) => h.messageId)).toEqual([sent.id]);
		expect((await search(a.socket, `${w} saturday`)).hits).toEqual([]);
		expect((await search(c.socket, w)).hits).toEqual([]);
		await fails(c.socket, 'messages:search', { query: w, threadId: ab }, 'not_found');
		// The index also holds each message's thread (migration 0011), which no query word can match.
		for (const q of [ab, ab.slice(0, 6), `#${ab}`, a.user.id]) expect((await search(b.socket, q)).hits, q).toEqual([]);
	});

	it('follows the table: an UPDATE of text is re-indexed, NULL and empty text and a deleted row are gone', async () => {
		const [before, after, other] = [word('old'), word('new'), word('keep')];
		const m = await send(a.socket, ab, `first ${before} text`);
		const n = await send(a.socket, ab, `second ${other} text`);
		expect((await search(b.socket, before)).hits.map((h) => h.seq)).toEqual([m.seq]);
		const db = t.parley.db.db;
		await db.updateTable('messages').set({ text: `edited ${after} text` }).where('id', '=', m.id).execute();
		expect((await search(b.socket, before)).hits).toEqual([]);
		const edited = (await search(b.socket, after)).hits;
		expect(edited.map((h) => h.seq)).toEqual([m.seq]);
		expect(edited[0].snippet).toBe(`edited ${after} text`);
		await db.updateTable('messages').set({ text: null }).where('id', '=', m.id).execute();
		expect((await search(b.socket, after)).hits).toEqual([]);
		await db.updateTable('messages').set({ text: `back ${after}` }).where('id', '=', m.id).execute();
		expect((await search(b.socket, after)).hits).toHaveLength(1);
		await db.updateTable('messages').set({ text: '' }).where('id', '=', m.id).execute();
		expect((await search(b.socket, after)).hits).toEqual([]);
		expect((await search(b.socket, other)).hits.map((h) => h.seq)).toEqual([n.seq]);
		await db.deleteFrom('messages').where('id', '=', n.id).execute();
		expect((await search(b.socket, other)).hits).toEqual([]);
	});

	it('a member removed from a group no longer finds any of its messages; the others still do', async () => {
		const [owner, x, y] = await people(t, 3);
		await befriendAll(owner, [x, y]);
		const group = await createGroup(owner, [x, y], 'Search club');
		const w = word();
		await send(x.socket, group.id, `group ${w} one`);
		await send(owner.socket, group.id, `group ${w} two`);
		expect((await search(y.socket, w)).hits.map((h) => h.thread)).toEqual([
			{ kind: 'group', title: 'Search club' },
			{ kind: 'group', title: 'Search club' }
		]);
		await ok(owner.socket, 'groups:remove', { threadId: group.id, userId: y.user.id });
		expect((await search(y.socket, w)).hits).toEqual([]);
		await fails(y.socket, 'messages:search', { query: w, threadId: group.id }, 'not_found');
		expect((await search(x.socket, w)).hits).toHaveLength(2);
		// System lines and call lines (JSON in the table) are not text: the group's title finds no line.
		expect((await search(x.socket, 'Search club', { threadId: group.id })).hits).toEqual([]);
	});

	it('treats query syntax as words: quotes, stars, minus, parentheses, NEAR, AND, SQL never fail', async () => {
		const w = word();
		const text = `NEAR the (quoted) "star*" -minus AND ${w} OR not; 100% done_ok it's`;
		const m = await send(a.socket, ab, text);
		const queries = [`"${w}`, `${w}*`, `-${w}`, `(${w}`, `${w})`, `NEAR(${w} quoted)`, `${w} AND`, `${w} OR`, `${w} NOT`, `+${w} ~x`, `${w} ^2`, `${w}: col`, `'${w}'; drop table messages; --`, `${w} %`, `${w} _`, `${w} \\`, `${w} {x}`, `${w} <->`, `${w} & !`, `${w} |`, `@${w}`, `${w}\u0000`];
		const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu)!;
		for (const q of queries) {
			const found = (await search(a.socket, q)).hits.some((h) => h.messageId === m.id);
			const expected = searchTerms(q).every((term) => words.some((x) => x.startsWith(term)));
			// MariaDB matches words under 3 letters anywhere (LIKE), so it may find more, never less.
			if (expected || backend !== 'mysql') expect(found, q).toBe(expected);
		}
		for (const q of ['NEAR', '"quoted"', 'star*', '-minus', '(quoted)', `and ${w}`, `"${w}" near`]) {
			expect((await search(a.socket, q, { threadId: ab })).hits.map((h) => h.messageId), q).toContain(m.id);
		}
		expect(await t.parley.db.db.selectFrom('messages').select('id').where('id', '=', m.id).executeTakeFirst()).toBeDefined();
	});

	it('short words: found on every database (MariaDB does not index them: LIKE within the user’s threads)', async () => {
		const w = word();
		const m = await send(a.socket, ab, `ok go ${w} by me, about the www`);
		expect((await search(b.socket, `go ${w}`)).hits.map((h) => h.messageId)).toEqual([m.id]);
		// InnoDB's default stopwords are switched off for this index (migration 0011).
		expect((await search(b.socket, `about ${w} the www`)).hits.map((h) => h.messageId)).toEqual([m.id]);
		expect((await search(b.socket, 'ok go', { threadId: ab })).hits.map((h) => h.messageId)).toContain(m.id);
		expect((await search(c.socket, 'ok go')).hits).toEqual([]);
	});

	it('pages with limit and cursor, most relevant first, equally relevant newest first, no repeats', async () => {
		const w = word();
		const sent = [];
		for (let i = 0; i < 12; i++) sent.push(await send(a.socket, ab, `page ${w} number ${i}`));
		const strong = await send(a.socket, ab, `${w} ${w} ${w}`);
		const seen: SearchHit[] = [];
		let cursor: string | undefined;
		for (let pages = 0; pages < 5; pages++) {
			const { hits, next } = await search(b.socket, w, { limit: 5, ...(cursor ? { cursor } : {}) });
			seen.push(...hits);
			if (!next) break;
			cursor = next;
		}
		expect(seen).toHaveLength(13);
		expect(new Set(seen.map((h) => h.messageId)).size).toBe(13);
		expect(seen[0].messageId).toBe(strong.id);
		expect(seen.slice(1).map((h) => h.seq)).toEqual(sent.map((m) => m.seq).reverse());
	});

	it('refuses bad input with invalid_input naming the field', async () => {
		const bad: Array<[unknown, string]> = [
			[{}, 'query'],
			[{ query: '' }, 'query'],
			[{ query: '   ' }, 'query'],
			[{ query: '!!! *** ---' }, 'query'],
			[{ query: 'x'.repeat(201) }, 'query'],
			[{ query: Array.from({ length: 11 }, (_, i) => `word${i}`).join(' ') }, 'query'],
			[{ query: 42 }, 'query'],
			[{ query: 'ok', limit: 0 }, 'limit'],
			[{ query: 'ok', limit: 51 }, 'limit'],
			[{ query: 'ok', limit: 1.5 }, 'limit'],
			[{ query: 'ok', cursor: 'abc' }, 'cursor'],
			[{ query: 'ok', cursor: '5000' }, 'cursor'],
			[{ query: 'ok', threadId: '' }, 'threadId'],
			[{ query: 'ok', sql: 'x' }, 'sql'],
			[{ query: 'ok\ud800' }, 'query']
		];
		for (const [payload, field] of bad) {
			const error = await fails(a.socket, 'messages:search', payload, 'invalid_input');
			expect(Object.keys((error as { fields?: object }).fields ?? {}), JSON.stringify(payload)).toContain(field);
		}
	});
});

// The search limit is the same code on every database: one backend is enough.
describe('messages:search rate limit', () => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backendNames()[0], { parley: { limits: { codesPerIp: 10_000 }, chatLimits: { searchesPerWindow: 3, searchWindowSeconds: 60 } } });
	});
	afterAll(async () => t?.stop());

	it('refuses the search over the limit with rate_limited, per user; bad input spends nothing', async () => {
		const [a, b] = await people(t, 2);
		await fails(a.socket, 'messages:search', { query: '' }, 'invalid_input');
		for (let i = 0; i < 3; i++) await search(a.socket, `hello${i}`);
		const error = await fails(a.socket, 'messages:search', { query: 'hello' }, 'rate_limited');
		expect(error.message).toMatch(/you are searching too fast \(at most 3 searches in 60 s\); try again in \d+ s/);
		await search(b.socket, 'hello');
	});
});
