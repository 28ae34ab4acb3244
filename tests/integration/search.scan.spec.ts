import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchTerms } from '../../src/lib/protocol/index.js';
import { searchMessages, type SearchOptions } from '../../server/chat/search/search.repository.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, ok, people, send, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

function word(): string {
	return `s${Math.random().toString(36).slice(2, 10).replace(/\d/g, 'x')}`;
}

// docs/ARCHITECTURE.md, "Search": on MariaDB a user with few messages has their threads scanned with
// LIKE instead of the FULLTEXT index (`scanBelow`). Both ways must find the same window, in the same
// order: the same words at the start of words, the same members-only, deleted-gone, edited rules.
describe.each(backendNames().filter((b) => b === 'mysql'))('messages:search, LIKE scan against FULLTEXT on %s', (backend) => {
	let t: TestParley;
	let a: Person, b: Person, c: Person;
	let ab: string, ac: string;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 }, chatLimits: { sendsPerWindow: 10_000, searchesPerWindow: 10_000, readsPerWindow: 100_000 } } });
		[a, b, c] = await people(t, 3);
		ab = (await befriend(a, b)).id;
		ac = (await befriend(a, c)).id;
	});
	afterAll(async () => t?.stop());

	it('finds the same hits in the same order either way, for every kind of word and window', async () => {
		const w = word();
		const v = word();
		const texts = [
			`${w} at the start`,
			`in the middle ${w}, then more`,
			`${w}${w} twice in one word`,
			`${w.toUpperCase()} in capitals and ${v}`,
			`inside x${w} a word only`,
			`after an underscore foo_${w} only`,
			`after an apostrophe l'${w} and ${v}s`,
			`${w}é with an accent, and ${v}`,
			`${w}-${v} joined by a hyphen`,
			`${w} ${w} ${w} three times`,
			`ab ${w} with a short word ab`,
			`neither word here`
		];
		const sent: Array<{ id: string; seq: number }> = [];
		for (const text of texts) sent.push(await send(a.socket, ab, text));
		await send(a.socket, ac, `${w} ${v} in a thread b is not in`);
		await ok(a.socket, 'messages:delete', { threadId: ab, seq: sent[9].seq });
		await ok(a.socket, 'messages:edit', { threadId: ab, seq: sent[0].seq, text: 'edited, no longer the word' });
		const db = t.parley.db.db;
		const queries = [w, w.slice(0, 4), v, `${w} ${v}`, `${w.slice(0, 5)} ${v.slice(0, 5)}`, `ab ${w}`, 'ab', `${w}e`, 'x', `nothing${w}`];
		let found = 0;
		for (const query of queries) {
			for (const window of [3, 1051]) {
				for (const threadId of [undefined, ab]) {
					const o: SearchOptions = { userId: b.user.id, terms: searchTerms(query), threadId, limit: 50, offset: 0, window };
					const index = await searchMessages(db, { ...o, scanBelow: 0 });
					const scan = await searchMessages(db, { ...o, scanBelow: Number.MAX_SAFE_INTEGER });
					expect(scan.map((r) => r.id), `"${query}", window ${window}, ${threadId ?? 'all threads'}`).toEqual(index.map((r) => r.id));
					found += index.length;
				}
			}
		}
		// Not a comparison of empty answers: the word's hits, and none of the deleted, edited or foreign.
		const all = await searchMessages(db, { userId: b.user.id, terms: [w], limit: 50, offset: 0, scanBelow: Number.MAX_SAFE_INTEGER });
		expect(all.map((r) => r.id).sort()).toEqual([1, 2, 3, 6, 7, 8, 10].map((i) => sent[i].id).sort());
		expect(found).toBeGreaterThan(30);
	});

	it('scans on past a batch of rows the LIKE finds but that do not begin a word', async () => {
		const w = word();
		const first = await send(a.socket, ab, `${w} the only one`);
		// A window of 1 is read in batches of 65: the first batch holds none that begins a word.
		for (let i = 0; i < 70; i++) await send(a.socket, ab, `x${w} number ${i}`);
		const o: SearchOptions = { userId: b.user.id, terms: [w], limit: 50, offset: 0, window: 1 };
		expect((await searchMessages(db(), { ...o, scanBelow: Number.MAX_SAFE_INTEGER })).map((r) => r.id)).toEqual([first.id]);
		expect((await searchMessages(db(), { ...o, scanBelow: 0 })).map((r) => r.id)).toEqual([first.id]);
	});

	const db = () => t.parley.db.db;
});
