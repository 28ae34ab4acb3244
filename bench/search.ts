// Full-text search (issue 13, "Search"): each database filled with a chat history of 1,000,000
// messages (bench/lib/search-corpus.ts: 3,000 users, 5,000 private threads and 1,000 groups of 5 to
// 30, words by Zipf's law), then `messages:search` as the server runs it (SearchService: the query,
// the membership semi-join, the cards, the snippets; no socket) for one user who is a member of 50
// threads (about 0.8 % of the messages). Queries in six classes, from words in every tenth message to
// rare ones, two-word queries and 4-letter prefixes; each query is run once to warm up and then
// measured. Reports p50/p95/max per database and per class; the goal is p95 < 100 ms. Each query is
// also run, at the repository level, through the current query and through the former one
// (bench/lib/search-baseline.ts: every match ranked by the database), interleaved, so the two are
// compared on the same data under the same load; and how many of the former first page's hits the
// current first page also has. On MariaDB, whose asker is scanned with LIKE (`scanBelow`), a third
// turn forces the FULLTEXT index, to compare the two paths. Writes bench/results/search.json (search-<db>.json with one --only).
// Never fails on timing.
//
//   npm run bench -- search [--quick] [--only=sqlite,postgres,mysql] [--messages=N]
import type { Kysely } from 'kysely';
import { searchTerms } from '../src/lib/protocol/index.js';
import { createLimiter } from '../server/auth/rate-limits.js';
import { ThreadsService } from '../server/chat/conversations/threads.service.js';
import { UsersService } from '../server/chat/friends/users.service.js';
import type { ChatEmitter } from '../server/chat/node/emitter.js';
import { MemoryPresenceStore } from '../server/chat/presence/presence.store.js';
import { searchMessages, type SearchOptions, type SearchRow } from '../server/chat/search/search.repository.js';
import { SearchService } from '../server/chat/search/search.service.js';
import { openDatabase } from '../server/db/database.js';
import { migrateToLatest } from '../server/db/migrate.js';
import type { Database } from '../server/db/schema.js';
import { configureLogging, log } from '../server/logger.js';
import { createTestDatabase, type BackendName } from '../tests/helpers/backends.js';
import { loadAverage, machine, writeResults } from './lib/machine.js';
import { searchRankedAll } from './lib/search-baseline.js';
import { fillCorpus, random, type Corpus, type CorpusOptions } from './lib/search-corpus.js';

const quick = process.argv.includes('--quick');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const backends = (arg('only')?.split(',') ?? ['sqlite', 'postgres', 'mysql']) as BackendName[];
const total = Number(arg('messages') ?? (quick ? 20_000 : 1_000_000));
configureLogging({ level: 'warn' });

const options: CorpusOptions = quick
	? { messages: total, users: 300, privateThreads: 400, groups: 100, askerPrivate: 40, askerGroups: 10, vocabulary: 3000 }
	: { messages: total, users: 3000, privateThreads: 5000, groups: 1000, askerPrivate: 40, askerGroups: 10, vocabulary: 20000 };
const perClass = quick ? 5 : 25;

interface Query {
	class: string;
	query: string;
}

/** The queries, the same for every database: words picked by rank from the corpus's vocabulary. */
function queries(words: string[]): Query[] {
	const rnd = random(7);
	const at = (from: number, to: number) => words[Math.min(words.length - 1, from + Math.floor(rnd() * (Math.min(to, words.length) - from)))];
	const out: Query[] = [];
	for (let i = 0; i < perClass; i++) {
		out.push({ class: 'top 10 words (in ~10 % of messages)', query: at(0, 10) });
		out.push({ class: 'common (rank 10-200)', query: at(10, 200) });
		out.push({ class: 'medium (rank 200-2000)', query: at(200, 2000) });
		out.push({ class: 'rare (rank 2000+)', query: at(2000, words.length) });
		out.push({ class: 'two words (common + medium)', query: `${at(10, 200)} ${at(200, 2000)}` });
		out.push({ class: '4-letter prefix (medium)', query: at(200, 2000).slice(0, 4) });
	}
	return out;
}

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return 0;
	return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 100) / 100;
}

function stats(ms: number[]) {
	const sorted = [...ms].sort((a, b) => a - b);
	return { count: ms.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), maxMs: percentile(sorted, 100) };
}

function service(db: Kysely<Database>): SearchService {
	const emitter: ChatEmitter = { toUsers: () => undefined, endSessions: () => undefined };
	const users = new UsersService({ db, presence: new MemoryPresenceStore(), emitter });
	const threads = new ThreadsService({ db, users, log: log.child('bench') });
	const limiter = createLimiter({ name: 'bench', points: 1_000_000, durationSeconds: 1, message: 'bench' });
	return new SearchService({ db, threads, users, limiter });
}

async function analyze(db: Kysely<Database>, backend: BackendName): Promise<void> {
	const { sql } = await import('kysely');
	if (backend === 'postgres') await sql`analyze`.execute(db);
	else if (backend === 'mysql') for (const t of ['messages', 'thread_members', 'threads']) await sql`analyze table ${sql.raw(t)}`.execute(db);
	else await sql`analyze`.execute(db);
}

async function run(backend: BackendName) {
	const database = await createTestDatabase(backend);
	const db = await openDatabase({ url: database.url });
	try {
		await migrateToLatest(db.db);
		let shown = 0;
		const corpus: Corpus = await fillCorpus(db.db, options, (done) => {
			if (done - shown >= total / 10 || done === total) {
				shown = done;
				process.stdout.write(`  ${backend}: ${done.toLocaleString('en-US')} messages\n`);
			}
		});
		await analyze(db.db, backend);
		console.log(`  ${backend}: loaded in ${corpus.loadSeconds.toFixed(0)} s, index made in ${corpus.indexSeconds.toFixed(0)} s; the asker has ${corpus.askerThreads} threads, ${corpus.askerMessages.toLocaleString('en-US')} messages`);
		const search = service(db.db);
		const list = queries(corpus.words);
		const byClass = new Map<string, number[]>();
		const all: number[] = [];
		const hits: number[] = [];
		for (const q of list) await search.search(corpus.askerId, { query: q.query });
		for (const q of list) {
			const t0 = performance.now();
			const answer = await search.search(corpus.askerId, { query: q.query });
			const ms = performance.now() - t0;
			all.push(ms);
			hits.push(answer.hits.length);
			byClass.set(q.class, [...(byClass.get(q.class) ?? []), ms]);
		}
		// The repository alone, the current query and the former one taking turns, each warmed first.
		const now: number[] = [];
		const before: number[] = [];
		const nowByClass = new Map<string, number[]>();
		// MariaDB: the current query with the FULLTEXT index forced (`scanBelow: 0`), where the asker's threads are scanned.
		const indexed: number[] = [];
		const indexedByClass = new Map<string, number[]>();
		const beforeByClass = new Map<string, number[]>();
		let shared = 0;
		let formerHits = 0;
		for (const q of list) {
			const page: SearchOptions = { userId: corpus.askerId, terms: searchTerms(q.query), limit: 20, offset: 0 };
			const time = async (find: (db: Kysely<Database>, o: SearchOptions) => Promise<SearchRow[]>, into: number[], byIt: Map<string, number[]>) => {
				await find(db.db, page);
				const t0 = performance.now();
				const rows = await find(db.db, page);
				const ms = performance.now() - t0;
				into.push(ms);
				byIt.set(q.class, [...(byIt.get(q.class) ?? []), ms]);
				return rows.slice(0, 20).map((r) => r.id);
			};
			const current = new Set(await time(searchMessages, now, nowByClass));
			const former = await time(searchRankedAll, before, beforeByClass);
			if (backend === 'mysql') await time((d, o) => searchMessages(d, { ...o, scanBelow: 0 }), indexed, indexedByClass);
			formerHits += former.length;
			shared += former.filter((id) => current.has(id)).length;
		}
		const ratio = (a: number[], b: number[]) => Math.round((stats(b).p95Ms / Math.max(0.01, stats(a).p95Ms)) * 10) / 10;
		const versus = {
			current: stats(now),
			former: stats(before),
			...(backend === 'mysql' ? { fulltext: stats(indexed), fulltextOverCurrentP95: ratio(now, indexed) } : {}),
			formerOverCurrentP95: ratio(now, before),
			firstPageShared: formerHits === 0 ? null : Math.round((shared / formerHits) * 1000) / 10,
			classes: Object.fromEntries([...nowByClass].map(([k, v]) => [k, { currentP95Ms: stats(v).p95Ms, formerP95Ms: stats(beforeByClass.get(k) ?? []).p95Ms, ...(backend === 'mysql' ? { fulltextP95Ms: stats(indexedByClass.get(k) ?? []).p95Ms } : {}) }]))
		};
		const result = { backend, ...stats(all), meanHitsPerPage: Math.round((hits.reduce((a, b) => a + b, 0) / hits.length) * 10) / 10, classes: Object.fromEntries([...byClass].map(([k, v]) => [k, stats(v)])), repository: versus, corpus: { ...corpus, words: corpus.words.length } };
		if (result.meanHitsPerPage === 0) console.log(`  ${backend}: WARNING: no search found anything; the figures time empty searches`);
		console.log(`  ${backend}: p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms over ${result.count} searches`);
		for (const [name, s] of Object.entries(result.classes)) console.log(`    ${name.padEnd(38)} p50 ${String(s.p50Ms).padStart(8)}  p95 ${String(s.p95Ms).padStart(8)}  max ${String(s.maxMs).padStart(8)}`);
		console.log(`  ${backend}: repository p95 ${versus.current.p95Ms} ms now, ${versus.former.p95Ms} ms the former query (${versus.formerOverCurrentP95}x); ${versus.firstPageShared ?? '-'} % of its first-page hits also on the current first page; ${result.meanHitsPerPage} hits a page`);
		if (versus.fulltext) console.log(`  ${backend}: repository p95 with the FULLTEXT index forced ${versus.fulltext.p95Ms} ms (${versus.fulltextOverCurrentP95}x the current)`);
		for (const [name, c] of Object.entries(versus.classes)) console.log(`    ${name.padEnd(38)} p95 now ${String(c.currentP95Ms).padStart(8)}  former ${String(c.formerP95Ms).padStart(8)}${'fulltextP95Ms' in c ? `  FULLTEXT ${String(c.fulltextP95Ms).padStart(8)}` : ''}`);
		return result;
	} finally {
		await db.close();
		await database.drop();
	}
}

const loadBefore = loadAverage();
const results = [];
console.log(`search: ${total.toLocaleString('en-US')} messages per database (${quick ? 'quick' : 'full'}), ${perClass * 6} searches each`);
for (const backend of backends) results.push(await run(backend));
const file = writeResults(arg('only')?.split(',').length === 1 ? `search-${backends[0]}` : 'search', { quick, machine: machine(), load: { before: loadBefore, after: loadAverage() }, options, results });
console.log(`\n${'database'.padEnd(10)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}  goal p95 < 100 ms`);
for (const r of results) console.log(`${r.backend.padEnd(10)} ${String(r.p50Ms).padStart(8)} ${String(r.p95Ms).padStart(8)} ${String(r.maxMs).padStart(8)}  ${r.p95Ms < 100 ? 'met' : 'NOT met'}`);
console.log(`written to ${file}`);
