// The search query as it was before the window (9fab430 and earlier: every match of the full-text
// index ranked by the database, then one page cut), kept only so bench/search.ts can time it against
// the current one on the same database in the same run. Not used by the server.
import { MysqlAdapter, PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../server/db/schema.js';
import { MYSQL_MIN_TOKEN_SIZE, type SearchOptions, type SearchRow } from '../../server/chat/search/search.repository.js';
import { likeAnywhere, mysqlQuery, postgresQuery, postgresThreads, sqliteQuery } from '../../server/chat/search/terms.js';

type Q = Kysely<Database>;

/** One page, `limit + 1` rows, of every match ranked by `ts_rank`, InnoDB's relevance or `bm25`. */
export async function searchRankedAll(db: Q, options: SearchOptions): Promise<SearchRow[]> {
	const { userId, terms, threadId, limit, offset } = options;
	const adapter = db.getExecutor().adapter;
	const member = sql`m.thread_id in (select tm.thread_id from thread_members tm where tm.user_id = ${userId})`;
	const inThread = threadId === undefined ? sql`` : sql`and m.thread_id = ${threadId}`;
	const page = sql`limit ${limit + 1} offset ${offset}`;
	let query: RawBuilder<SearchRow>;
	if (adapter instanceof PostgresAdapter) {
		// The threads go into the GIN condition itself (migration 0011); the semi-join stays as the rule of record.
		const threads = await threadsToSearch(db, userId, threadId);
		if (threads.length === 0) return [];
		query = sql<SearchRow>`
			select m.id, m.thread_id, m.seq, m.sender_id, m.text, m.created_at
			from messages m, to_tsquery('simple', ${postgresQuery(terms)}) q
			where m.search_vector @@ (q && ${postgresThreads(threads)}::tsquery) and m.kind = 'text' and ${member} ${inThread}
			order by ts_rank(m.search_vector, q) desc, m.created_at desc, m.id desc
			${page}`;
	} else if (adapter instanceof MysqlAdapter) {
		const threads = await threadsToSearch(db, userId, threadId);
		if (threads.length === 0) return [];
		const { indexed, short } = mysqlQuery(terms, options.minTokenSize ?? MYSQL_MIN_TOKEN_SIZE, threads);
		// Every word with LIKE too: the short ones are not in the index, and a long one must have matched
		// the text rather than a thread id (the index holds both). Cheap: only on the index's hits.
		const likes = sql.join(
			terms.map((t) => sql`and m.text like ${likeAnywhere(t)}`),
			sql` `
		);
		// Only short words: nothing to ask the index, so the user's own threads are scanned with LIKE.
		const match = indexed ? sql`match (m.text, m.thread_id) against (${indexed} in boolean mode)` : sql`0`;
		query = sql<SearchRow>`
			select m.id, m.thread_id, m.seq, m.sender_id, m.text, m.created_at, ${match} as score
			from messages m
			where ${indexed ? match : sql`m.text is not null`} and m.kind = 'text' and ${member} ${inThread} ${likes}
			order by score desc, m.created_at desc, m.id desc
			${page}`;
	} else {
		// The threads go into the MATCH itself (migration 0011), so FTS5 ranks only the asker's messages;
		// the semi-join stays as the rule of record.
		const threads = await threadsToSearch(db, userId, threadId);
		if (threads.length === 0) return [];
		query = sql<SearchRow>`
			select m.id, m.thread_id, m.seq, m.sender_id, m.text, m.created_at
			from messages_fts f join messages m on m.rowid = f.rowid
			where messages_fts match ${sqliteQuery(terms, threads)} and m.kind = 'text' and ${member} ${inThread}
			order by bm25(messages_fts, 1.0, 0.0) asc, m.created_at desc, m.id desc
			${page}`;
	}
	const { rows } = await query.execute(db);
	return rows.filter((r) => r.text !== null).map((r) => ({ id: r.id, thread_id: r.thread_id, seq: Number(r.seq), sender_id: r.sender_id, text: r.text, created_at: r.created_at }));
}

async function threadsToSearch(db: Q, userId: string, threadId: string | undefined): Promise<string[]> {
	if (threadId !== undefined) return [threadId];
	return (await db.selectFrom('thread_members').select('thread_id').where('user_id', '=', userId).execute()).map((r) => r.thread_id);
}
