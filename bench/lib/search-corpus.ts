// A synthetic chat history for bench/search.ts, written straight into a Parley database: users,
// private threads and groups, and messages whose words follow a Zipf law over a made-up vocabulary
// (a few words are in every tenth message, most are rare), as in real chat. Rows are the repository's
// row types, many to a statement, several statements to a transaction. The search index (migration
// 0011) is dropped before the messages go in and made again after, as one would for a bulk load; how
// long that takes is reported (it is also what the migration costs on a database of that size).
import type { Kysely } from 'kysely';
import * as searchMigration from '../../migrations/20261207_0011_search.js';
import type { Database } from '../../server/db/schema.js';
import { newId } from '../../server/db/ids.js';

export interface CorpusOptions {
	messages: number;
	users: number;
	privateThreads: number;
	groups: number;
	/** The asker's threads: this many private threads and this many groups. */
	askerPrivate: number;
	askerGroups: number;
	/** Words in the vocabulary. */
	vocabulary: number;
}

export interface Corpus {
	askerId: string;
	/** By frequency, most common first. */
	words: string[];
	askerThreads: number;
	askerMessages: number;
	/** Seconds: loading the rows, and making the search index over them. */
	loadSeconds: number;
	indexSeconds: number;
}

/** mulberry32: a small seeded generator, so every run and every database gets the same history. */
export function random(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'si', 'pe', 'da', 'fi', 'go', 'hu', 'ja', 'be', 'zo', 'ri', 'mu', 'sa', 'te', 'no', 'li', 'wa', 'ki'];

export function vocabulary(n: number, rnd: () => number): string[] {
	const words = new Set<string>();
	while (words.size < n) {
		const length = 2 + Math.floor(rnd() * 3);
		let w = '';
		for (let i = 0; i < length; i++) w += SYLLABLES[Math.floor(rnd() * SYLLABLES.length)];
		words.add(w);
	}
	return [...words];
}

/** Picks word ranks by Zipf's law (s = 1): rank r with probability ∝ 1/(r+1). */
function zipf(n: number, rnd: () => number): () => number {
	const cdf = new Float64Array(n);
	let total = 0;
	for (let r = 0; r < n; r++) cdf[r] = total += 1 / (r + 1);
	return () => {
		const x = rnd() * total;
		let lo = 0;
		let hi = n - 1;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (cdf[mid] < x) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	};
}

async function insertMany<T>(db: Kysely<Database>, rows: T[], write: (trx: Kysely<Database>, chunk: T[]) => Promise<unknown>, perStatement = 1000, perTransaction = 10): Promise<void> {
	for (let i = 0; i < rows.length; i += perStatement * perTransaction) {
		await db.transaction().execute(async (trx) => {
			for (let j = i; j < Math.min(rows.length, i + perStatement * perTransaction); j += perStatement) await write(trx, rows.slice(j, j + perStatement));
		});
	}
}

/** Fills a migrated, empty database; `progress` hears how far the messages are. */
export async function fillCorpus(db: Kysely<Database>, o: CorpusOptions, progress: (done: number) => void = () => undefined): Promise<Corpus> {
	const rnd = random(42);
	const words = vocabulary(o.vocabulary, rnd);
	const pick = zipf(words.length, rnd);
	const start = Date.parse('2026-01-01T00:00:00.000Z');
	const iso = (ms: number) => new Date(ms).toISOString();
	const started = performance.now();

	const users = Array.from({ length: o.users }, (_, i) => ({
		id: newId(start),
		username: `s${i}`,
		username_key: `s${i}`,
		email: `s${i}@bench.test`,
		email_key: `s${i}@bench.test`,
		display_name: `Searcher ${i}`,
		bio: '',
		password_hash: 'x',
		created_at: iso(start),
		updated_at: iso(start)
	}));
	await insertMany(db, users, (trx, chunk) => trx.insertInto('users').values(chunk).execute(), 500);

	// Threads: the asker's first, then the others between random people.
	const threads: Array<{ id: string; members: string[]; kind: 'private' | 'group' }> = [];
	const pairs = new Set<string>();
	const addPrivate = (a: number, b: number) => {
		const [x, y] = [users[a].id, users[b].id].sort();
		if (a === b || pairs.has(`${x}:${y}`)) return false;
		pairs.add(`${x}:${y}`);
		threads.push({ id: newId(start), members: [x, y], kind: 'private' });
		return true;
	};
	const addGroup = (withAsker: boolean) => {
		const size = 5 + Math.floor(rnd() * 26);
		const members = new Set<string>(withAsker ? [users[0].id] : []);
		while (members.size < size) members.add(users[1 + Math.floor(rnd() * (o.users - 1))].id);
		threads.push({ id: newId(start), members: [...members], kind: 'group' });
	};
	for (let i = 1; i <= o.askerPrivate; i++) addPrivate(0, i);
	for (let i = 0; i < o.askerGroups; i++) addGroup(true);
	while (threads.filter((t) => t.kind === 'private').length < o.privateThreads) addPrivate(1 + Math.floor(rnd() * (o.users - 1)), 1 + Math.floor(rnd() * (o.users - 1)));
	for (let i = o.askerGroups; i < o.groups; i++) addGroup(false);

	// Messages: a random thread each, sent by one of its members, a minute or so apart.
	const seqs = new Map<string, number>();
	const messages = [];
	let askerMessages = 0;
	const askerThreads = new Set(threads.filter((t) => t.members.includes(users[0].id)).map((t) => t.id));
	for (let i = 0; i < o.messages; i++) {
		const thread = threads[Math.floor(rnd() * threads.length)];
		const seq = (seqs.get(thread.id) ?? 0) + 1;
		seqs.set(thread.id, seq);
		const length = 3 + Math.floor(rnd() * 12);
		const text = Array.from({ length }, () => words[pick()]).join(' ');
		const at = start + i * 30_000;
		if (askerThreads.has(thread.id)) askerMessages++;
		messages.push({ id: newId(at), thread_id: thread.id, seq, sender_id: thread.members[Math.floor(rnd() * thread.members.length)], client_id: `c${i}`, kind: 'text' as const, text, file_id: null, created_at: iso(at), change_seq: 0 });
	}
	const last = iso(start + o.messages * 30_000);
	const threadRows = threads.map((t) => ({ id: t.id, kind: t.kind, private_key: t.kind === 'private' ? t.members.join(':') : null, last_seq: seqs.get(t.id) ?? 0, title: t.kind === 'group' ? `Group ${t.id.slice(-4)}` : null, topic: t.kind === 'group' ? '' : null, avatar_id: null, closed_at: null, updated_at: last, created_at: iso(start) }));
	await insertMany(db, threadRows, (trx, chunk) => trx.insertInto('threads').values(chunk).execute(), 500);
	const memberRows = threads.flatMap((t) => t.members.map((user_id) => ({ thread_id: t.id, user_id, delivered_seq: 0, read_seq: 0, joined_at: iso(start), role: 'member' as const })));
	await insertMany(db, memberRows, (trx, chunk) => trx.insertInto('thread_members').values(chunk).execute(), 1000);

	await searchMigration.down(db);
	for (let i = 0; i < messages.length; i += 10_000) {
		await insertMany(db, messages.slice(i, i + 10_000), (trx, chunk) => trx.insertInto('messages').values(chunk).execute(), 1000);
		progress(Math.min(messages.length, i + 10_000));
	}
	const loaded = performance.now();
	await searchMigration.up(db);
	const indexed = performance.now();
	return { askerId: users[0].id, words, askerThreads: askerThreads.size, askerMessages, loadSeconds: (loaded - started) / 1000, indexSeconds: (indexed - loaded) / 1000 };
}
