import type { Kysely } from 'kysely';
import { SEARCH_LIMITS, searchTerms, type SearchHit, type UserCard } from '../../../src/lib/protocol/index.js';
import type { Limiter } from '../../auth/rate-limits.js';
import type { Database } from '../../db/schema.js';
import type { ThreadsService } from '../conversations/threads.service.js';
import type { UsersService } from '../friends/users.service.js';
import { ScanGate } from './mysql-pool.js';
import * as repo from './search.repository.js';
import { snippetOf } from './snippet.js';

export interface SearchDeps {
	db: Kysely<Database>;
	threads: ThreadsService;
	users: UsersService;
	/** Spends one point per search of a user (`ChatLimits.searchesPerWindow`). */
	limiter: Limiter;
	/** MySQL/MariaDB: the server's `innodb_ft_min_token_size`. Default 3. */
	mysqlMinTokenSize?: number;
	/**
	 * MySQL/MariaDB: scan the asker's threads with LIKE below this many messages (`SearchOptions.scanBelow`),
	 * while the messages table fits in the buffer pool (`ScanGate`).
	 */
	mysqlScanBelow?: number;
	/** Matches ranked per search, the newest (`ChatLimits.searchWindow`). Default `SEARCH_WINDOW` (1,051). */
	window?: number;
}

/**
 * `messages:search`: the text messages of the asker's threads that contain every word of the query.
 * Membership is the asker's now: someone removed from a group (or who left it) finds none of its
 * messages any more, not even those from their time in it, as they can no longer open its history.
 */
export class SearchService {
	readonly #gate: ScanGate;

	constructor(private readonly deps: SearchDeps) {
		this.#gate = new ScanGate(deps.db);
	}

	async search(userId: string, input: { query: string; threadId?: string; limit?: number; cursor?: string }): Promise<{ hits: SearchHit[]; next: string | null }> {
		await this.deps.limiter.consume(userId);
		const terms = searchTerms(input.query);
		// Not a member, or no such thread: the same not_found as every other thread request.
		if (input.threadId !== undefined) await this.deps.threads.requireMember(input.threadId, userId);
		const limit = input.limit ?? SEARCH_LIMITS.pageDefault;
		const offset = input.cursor === undefined ? 0 : Number(input.cursor);
		const scanBelow = await this.#gate.scanBelow(this.deps.mysqlScanBelow ?? repo.MYSQL_SCAN_BELOW);
		const rows = await repo.searchMessages(this.deps.db, { userId, terms, threadId: input.threadId, limit, offset, window: this.deps.window, minTokenSize: this.deps.mysqlMinTokenSize, scanBelow });
		const page = rows.slice(0, limit);
		const threads = await repo.threadsOf(this.deps.db, userId, [...new Set(page.map((r) => r.thread_id))]);
		const people = new Set(page.map((r) => r.sender_id));
		for (const t of threads.values()) if (t.peerId) people.add(t.peerId);
		const cards = await this.deps.users.cardsById(userId, [...people]);
		const hits = page.map((row): SearchHit => {
			const thread = threads.get(row.thread_id);
			const peer = thread?.peerId ? cards.get(thread.peerId) : undefined;
			return {
				messageId: row.id,
				threadId: row.thread_id,
				seq: row.seq,
				thread: { kind: thread?.kind ?? 'group', title: (thread?.kind === 'group' ? thread.title : peer?.displayName) ?? '' },
				sender: cards.get(row.sender_id) ?? unknownSender(row.sender_id),
				sentAt: row.created_at,
				...snippetOf(row.text, terms)
			};
		});
		const nextOffset = offset + limit;
		return { hits, next: rows.length > limit && nextOffset <= SEARCH_LIMITS.offsetMax ? String(nextOffset) : null };
	}
}

function unknownSender(id: string): UserCard {
	return { id, username: '', displayName: 'Unknown', bio: '', avatarUrl: null, relationship: 'none' };
}
