import { MysqlAdapter, PostgresAdapter, sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { SEARCH_LIMITS } from '../../../src/lib/protocol/index.js';
import { rankWindow } from './rank.js';
import { likeAnywhere, mysqlQuery, mysqlWordsBegin, postgresQuery, postgresThreads, sqliteQuery } from './terms.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * How many matches a search ranks: the newest this many (`SearchOptions.window`). Every page a cursor
 * can reach (`offsetMax` hits, then one more page and the row that says there is more) lies inside it,
 * so paging through one window never repeats or skips a hit.
 */
export const SEARCH_WINDOW = SEARCH_LIMITS.offsetMax + SEARCH_LIMITS.pageMax + 1;

/** InnoDB's `innodb_ft_min_token_size` default: shorter words are not in a FULLTEXT index. */
export const MYSQL_MIN_TOKEN_SIZE = 3;

/**
 * MySQL/MariaDB: below this many messages in the threads searched, they are scanned with LIKE rather
 * than asked of the FULLTEXT index (`SearchOptions.scanBelow`, docs/BENCHMARKS.md for the crossover).
 */
export const MYSQL_SCAN_BELOW = 10_000;

export interface SearchRow {
	id: string;
	thread_id: string;
	seq: number;
	sender_id: string;
	text: string;
	created_at: string;
}

export interface SearchOptions {
	/** Only threads this user is a member of now. */
	userId: string;
	/** Words from `searchTerms`: letters and digits only, at least one. */
	terms: string[];
	/** Only this thread (still only if the user is a member of it). */
	threadId?: string;
	limit: number;
	offset: number;
	/**
	 * Rank only the newest this many matches (found newest first by the index) rather than every
	 * match: a common word's thousands of hits cost no more than a rare word's. Pages reach at most
	 * `window` hits. Default `SEARCH_WINDOW`.
	 */
	window?: number;
	/** MySQL/MariaDB: the server's `innodb_ft_min_token_size`. Default 3. */
	minTokenSize?: number;
	/**
	 * MySQL/MariaDB: when the threads searched hold fewer messages than this (their `last_seq`s added
	 * up), scan them newest first with LIKE instead of asking the FULLTEXT index, whose doclist for a
	 * common word spans every user's messages. Default `MYSQL_SCAN_BELOW`; 0 always asks the index.
	 */
	scanBelow?: number;
}

/**
 * One page of the text messages that contain every word (as a word's beginning), in threads the user
 * is a member of now: among the newest `window` matches, most relevant first, then newest. Fetches
 * `limit + 1` rows, so the caller knows whether there is more. Each dialect asks its own full-text
 * index (migration 0011); the words reach it as a bound parameter, quoted by `terms.ts`, so no query is
 * ever a syntax error or an injection.
 */
export async function searchMessages(db: Q, options: SearchOptions): Promise<SearchRow[]> {
	const { userId, terms, threadId, limit, offset } = options;
	const window = options.window ?? SEARCH_WINDOW;
	// The threads go into the full-text condition itself (migration 0011), so the index hands back only
	// the asker's matches; the membership semi-join stays as the rule of record.
	const threads = await threadsToSearch(db, userId, threadId);
	if (threads.length === 0) return [];
	const adapter = db.getExecutor().adapter;
	const member = sql`m.thread_id in (select tm.thread_id from thread_members tm where tm.user_id = ${userId})`;
	const inThread = threadId === undefined ? sql`` : sql`and m.thread_id = ${threadId}`;
	const columns = sql`m.id, m.thread_id, m.seq, m.sender_id, m.text, m.created_at`;
	let query: RawBuilder<SearchRow>;
	if (adapter instanceof PostgresAdapter) {
		// No index orders by created_at, so the planner cannot walk the primary key backwards through
		// a million rows looking for a rare word: it takes the GIN matches and keeps the newest.
		query = sql<SearchRow>`
			select ${columns} from messages m
			where m.search_vector @@ (to_tsquery('simple', ${postgresQuery(terms)}) && ${postgresThreads(threads.map((t) => t.id))}::tsquery) and m.kind = 'text' and ${member} ${inThread}
			order by m.created_at desc, m.id desc
			limit ${window}`;
	} else if (adapter instanceof MysqlAdapter) {
		const minTokenSize = options.minTokenSize ?? MYSQL_MIN_TOKEN_SIZE;
		const { indexed } = mysqlQuery(terms, minTokenSize, threads.map((t) => t.id));
		// Every word with LIKE too: the short ones are not in the index, and a long one must have matched
		// the text rather than a thread id (the index holds both). Cheap: only on the index's hits.
		const likes = sql.join(
			terms.map((t) => sql`and m.text like ${likeAnywhere(t)}`),
			sql` `
		);
		const volume = threads.reduce((sum, t) => sum + t.lastSeq, 0);
		if (!indexed || volume < (options.scanBelow ?? MYSQL_SCAN_BELOW)) {
			return rankWindow(await mysqlScan(db, { ...options, threads: threads.map((t) => t.id), likes, minTokenSize, window }), terms).slice(offset, offset + limit + 1);
		}
		query = sql<SearchRow>`
			select ${columns} from messages m
			where match (m.text, m.thread_id) against (${indexed} in boolean mode) and m.kind = 'text' and ${member} ${inThread} ${likes}
			order by m.created_at desc, m.id desc
			limit ${window}`;
	} else {
		// FTS5 walks its doclists from the highest rowid (the newest row) and stops at the window.
		query = sql<SearchRow>`
			select ${columns}
			from (select rowid from messages_fts where messages_fts match ${sqliteQuery(terms, threads.map((t) => t.id))} order by rowid desc limit ${window}) f
			join messages m on m.rowid = f.rowid
			where m.kind = 'text' and ${member} ${inThread}`;
	}
	const { rows } = await query.execute(db);
	return rankWindow(rowsOf(rows), terms).slice(offset, offset + limit + 1);
}

function rowsOf(rows: SearchRow[]): SearchRow[] {
	return rows.filter((r) => r.text !== null).map((r) => ({ id: r.id, thread_id: r.thread_id, seq: Number(r.seq), sender_id: r.sender_id, text: r.text, created_at: r.created_at }));
}

/**
 * MySQL/MariaDB without the index: the threads' text messages that hold every word (LIKE), newest
 * first, in batches until `window` of them begin words as the index would have them (`mysqlWordsBegin`)
 * or there are no more. Costs what the asker's own threads hold, not what everyone's do.
 */
async function mysqlScan(db: Q, o: SearchOptions & { threads: string[]; likes: RawBuilder<unknown>; minTokenSize: number; window: number }): Promise<SearchRow[]> {
	const found: SearchRow[] = [];
	const batch = o.window + 64;
	let after: SearchRow | undefined;
	for (;;) {
		const before = after === undefined ? sql`` : sql`and (m.created_at < ${after.created_at} or (m.created_at = ${after.created_at} and m.id < ${after.id}))`;
		const { rows } = await sql<SearchRow>`
			select m.id, m.thread_id, m.seq, m.sender_id, m.text, m.created_at from messages m
			where m.thread_id in (${sql.join(o.threads)}) and m.kind = 'text' and m.text is not null ${o.likes} ${before}
			and m.thread_id in (select tm.thread_id from thread_members tm where tm.user_id = ${o.userId})
			order by m.created_at desc, m.id desc
			limit ${batch}`.execute(db);
		for (const row of rowsOf(rows)) if (found.length < o.window && mysqlWordsBegin(row.text, o.terms, o.minTokenSize)) found.push(row);
		if (found.length >= o.window || rows.length < batch) return found;
		after = rows[rows.length - 1];
	}
}

/** `threadId` alone (the caller checked membership), or every thread the user is a member of; with how many messages each holds. */
async function threadsToSearch(db: Q, userId: string, threadId: string | undefined): Promise<Array<{ id: string; lastSeq: number }>> {
	const threads = db.selectFrom('threads').select(['threads.id', 'threads.last_seq']);
	const rows =
		threadId !== undefined
			? await threads.where('threads.id', '=', threadId).execute()
			: await threads.innerJoin('thread_members', 'thread_members.thread_id', 'threads.id').where('thread_members.user_id', '=', userId).execute();
	return rows.map((r) => ({ id: r.id, lastSeq: Number(r.last_seq) }));
}

/** The threads' titles as their lists show them: a group's title, a private thread's other member. */
export async function threadsOf(db: Q, userId: string, threadIds: string[]): Promise<Map<string, { kind: 'private' | 'group'; title: string | null; peerId: string | null }>> {
	if (threadIds.length === 0) return new Map();
	const threads = await db.selectFrom('threads').select(['id', 'kind', 'title']).where('id', 'in', threadIds).execute();
	const privateIds = threads.filter((t) => t.kind === 'private').map((t) => t.id);
	const peers =
		privateIds.length === 0 ? [] : await db.selectFrom('thread_members').select(['thread_id', 'user_id']).where('thread_id', 'in', privateIds).where('user_id', '!=', userId).execute();
	const peerOf = new Map(peers.map((p) => [p.thread_id, p.user_id]));
	return new Map(threads.map((t) => [t.id, { kind: t.kind, title: t.title, peerId: t.kind === 'private' ? (peerOf.get(t.id) ?? null) : null }]));
}
