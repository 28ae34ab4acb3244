import { MysqlAdapter, PostgresAdapter, sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { likeAnywhere, mysqlQuery, postgresQuery, postgresThreads, sqliteQuery } from './terms.js';

type Q = Kysely<Database> | Transaction<Database>;

/** InnoDB's `innodb_ft_min_token_size` default: shorter words are not in a FULLTEXT index. */
export const MYSQL_MIN_TOKEN_SIZE = 3;

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
	/** MySQL/MariaDB: the server's `innodb_ft_min_token_size`. Default 3. */
	minTokenSize?: number;
}

/**
 * One page of the text messages that contain every word (as a word's beginning), in threads the user
 * is a member of now: most relevant first, then newest. Fetches `limit + 1` rows, so the caller knows
 * whether there is more. Each dialect asks its own full-text index (migration 0011); the words reach
 * it as a bound parameter, quoted by `terms.ts`, so no query is ever a syntax error or an injection.
 */
export async function searchMessages(db: Q, options: SearchOptions): Promise<SearchRow[]> {
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

/** `threadId` alone (the caller checked membership), or every thread the user is a member of. */
async function threadsToSearch(db: Q, userId: string, threadId: string | undefined): Promise<string[]> {
	if (threadId !== undefined) return [threadId];
	return (await db.selectFrom('thread_members').select('thread_id').where('user_id', '=', userId).execute()).map((r) => r.thread_id);
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
