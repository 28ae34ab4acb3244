import { MysqlAdapter, sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/** How long a reading of the buffer pool against the table stands before it is taken again. */
const RECHECK_MS = 10 * 60_000;

/**
 * MySQL/MariaDB: whether the LIKE scan of the asker's threads may be used (`SearchOptions.scanBelow`).
 * It beats the FULLTEXT index only when `messages` and its indexes fit in InnoDB's buffer pool
 * (docs/BENCHMARKS.md: 4.7x faster at p95 with a 1 GiB pool, 0.65x with the default 128 MiB on 540 MB),
 * so the scan is used only while `innodb_buffer_pool_size` is at least the table's data and index
 * length (docs/DEPLOY.md says how to size it). Read at most every 10 minutes; any other database: never.
 */
export class ScanGate {
	#checkedAt = -Infinity;
	#fits: Promise<boolean> = Promise.resolve(false);

	constructor(private readonly db: Kysely<Database>) {}

	/** `scanBelow` if the table fits in the pool now, else 0 (always the index). */
	async scanBelow(scanBelow: number): Promise<number> {
		if (scanBelow <= 0 || !(this.db.getExecutor().adapter instanceof MysqlAdapter)) return 0;
		if (Date.now() - this.#checkedAt > RECHECK_MS) {
			this.#checkedAt = Date.now();
			this.#fits = this.#read().catch(() => false);
		}
		return (await this.#fits) ? scanBelow : 0;
	}

	async #read(): Promise<boolean> {
		const { rows } = await sql<{ pool: number | string; used: number | string | null }>`
			select @@innodb_buffer_pool_size as pool,
				(select data_length + index_length from information_schema.tables where table_schema = database() and table_name = 'messages') as used`.execute(this.db);
		const row = rows[0];
		return row !== undefined && Number(row.pool) >= Number(row.used ?? 0);
	}
}
