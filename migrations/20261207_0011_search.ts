import { MysqlAdapter, PostgresAdapter, SqliteAdapter, sql, type Kysely } from 'kysely';

// Full-text search over messages (docs/PROTOCOL.md, "Search"). Each dialect's index follows the
// `messages` table by itself, so an edit (UPDATE of `text`) or a delete-for-everyone (`text` set to
// NULL or '') is re-indexed by the database with no code on the writer's side:
//
// - PostgreSQL: a STORED generated tsvector column (the 'simple' configuration: lower-cased words, no
//   stemming and no stopwords, so every language is treated alike) with a GIN index. The column also
//   holds the lexeme '#<thread id>': a search ANDs the words with the OR of the asker's threads, and
//   GIN intersects the posting lists, so a common word is looked at only in the asker's threads
//   (bench/search.ts: p95 0.8 s without it at 1,000,000 messages). A query word is letters and digits
//   only, so it can never match (or prefix-match) a lexeme that begins with '#'.
// - MariaDB/MySQL: an InnoDB FULLTEXT index on `text` and `thread_id`, made with stopwords switched off
//   for this index (`innodb_ft_enable_stopword` is read when the index is created). The thread id lets
//   a search require one of the asker's threads inside the full-text query, so InnoDB hands back only
//   the asker's matching rows (bench/search.ts: p95 1.9 s at 1,000,000 messages without it). Words shorter than
//   `innodb_ft_min_token_size` (3 by default, a server start-up option) are not in the index; the search
//   matches those with LIKE among the hits of the longer words (server/chat/search/search.repository.ts).
// - SQLite: an FTS5 table with external content (the text is read from `messages` by rowid, not
//   stored twice), kept by INSERT, UPDATE OF text and DELETE triggers; the rows already there are
//   indexed by 'rebuild'. The thread id is indexed too, as a second column: a search ANDs the words
//   with the OR of the asker's threads inside FTS5, which merges the doclists, so a word in every tenth
//   message is ranked only among the asker's own messages rather than among all of them (bench/search.ts:
//   p95 1.5 s without it at 1,000,000 messages). `messages` has no INTEGER PRIMARY KEY, so a VACUUM may renumber its rowids:
//   run `INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')` after one.
//
// Every row's text is indexed whatever its kind (a call or system line holds JSON); the search asks
// for kind 'text' only. Indexing them all keeps the triggers and 'rebuild' trivially in step.

export async function up(db: Kysely<any>): Promise<void> {
	const adapter = db.getExecutor().adapter;
	if (adapter instanceof PostgresAdapter) {
		await sql`alter table messages add column search_vector tsvector generated always as (to_tsvector('simple'::regconfig, coalesce(text, '')) || array_to_tsvector(array['#' || thread_id])) stored`.execute(db);
		await sql`create index messages_search on messages using gin (search_vector)`.execute(db);
	} else if (adapter instanceof SqliteAdapter) {
		await sql`create virtual table messages_fts using fts5(text, thread_id, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')`.execute(db);
		await sql`create trigger messages_fts_insert after insert on messages begin
			insert into messages_fts (rowid, text, thread_id) values (new.rowid, new.text, new.thread_id);
		end`.execute(db);
		await sql`create trigger messages_fts_delete after delete on messages begin
			insert into messages_fts (messages_fts, rowid, text, thread_id) values ('delete', old.rowid, old.text, old.thread_id);
		end`.execute(db);
		await sql`create trigger messages_fts_update after update of text, thread_id on messages begin
			insert into messages_fts (messages_fts, rowid, text, thread_id) values ('delete', old.rowid, old.text, old.thread_id);
			insert into messages_fts (rowid, text, thread_id) values (new.rowid, new.text, new.thread_id);
		end`.execute(db);
		await sql`insert into messages_fts (messages_fts) values ('rebuild')`.execute(db);
	} else if (adapter instanceof MysqlAdapter) {
		// The setting is per session and read at CREATE time, so both run on one connection.
		await db.connection().execute(async (conn) => {
			await sql`set session innodb_ft_enable_stopword = 0`.execute(conn);
			try {
				await sql`alter table messages add fulltext index messages_search (text, thread_id)`.execute(conn);
			} finally {
				await sql`set session innodb_ft_enable_stopword = 1`.execute(conn);
			}
		});
	}
}

export async function down(db: Kysely<any>): Promise<void> {
	const adapter = db.getExecutor().adapter;
	if (adapter instanceof PostgresAdapter) {
		await sql`drop index if exists messages_search`.execute(db);
		await sql`alter table messages drop column if exists search_vector`.execute(db);
	} else if (adapter instanceof SqliteAdapter) {
		for (const trigger of ['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update']) await sql`drop trigger if exists ${sql.raw(trigger)}`.execute(db);
		await sql`drop table if exists messages_fts`.execute(db);
	} else if (adapter instanceof MysqlAdapter) {
		await sql`alter table messages drop index messages_search`.execute(db);
		// The drop leaves InnoDB's hidden FTS_DOC_ID column behind, and MariaDB 10.11 then makes a
		// FULLTEXT index added later (a second `up`) with none of the rows already there: every search
		// of them finds nothing. Rebuilding the table removes the column.
		await sql`alter table messages force`.execute(db);
	}
}
