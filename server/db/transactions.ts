import { MysqlAdapter, type Kysely, type Transaction } from 'kysely';
import type { Logger } from '../logger.js';
import type { Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * True for errors after which the whole transaction can simply run again: PostgreSQL serialization
 * failures and deadlocks (40001, 40P01), MySQL/MariaDB deadlocks and lock-wait timeouts (1213, 1205),
 * and a busy SQLite file.
 */
export function isRetryableTransactionError(error: unknown): boolean {
	const e = error as { code?: string; errno?: number } | null;
	if (!e) return false;
	return (
		e.code === '40001' ||
		e.code === '40P01' ||
		e.errno === 1213 ||
		e.errno === 1205 ||
		e.code === 'ER_LOCK_DEADLOCK' ||
		e.code === 'ER_LOCK_WAIT_TIMEOUT' ||
		e.code === 'SQLITE_BUSY'
	);
}

export interface RetryOptions {
	/** Tries in all, the first included. Default 10. */
	attempts?: number;
	/** Backoff before the second try, doubling each time up to `maxDelayMs`, with full jitter. Default 5. */
	baseDelayMs?: number;
	/** Default 250. */
	maxDelayMs?: number;
	/** Logs each retry at debug level when given. */
	log?: Logger;
	/** Names the work in the log, e.g. `send to thread "42"`. */
	what?: string;
}

/**
 * Runs `work` (which should open and finish its own transaction) and runs it again when the database
 * chose it as a deadlock victim or failed to serialize it. The work must be safe to repeat: the failed
 * try rolled back completely. Other errors pass through at once.
 */
export async function retryTransaction<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
	const attempts = options.attempts ?? 10;
	const base = options.baseDelayMs ?? 5;
	const max = options.maxDelayMs ?? 250;
	for (let attempt = 1; ; attempt++) {
		try {
			return await work();
		} catch (error) {
			if (attempt >= attempts || !isRetryableTransactionError(error)) throw error;
			// Full jitter: the victims of one deadlock must not collide again on the same schedule.
			const delay = Math.random() * Math.min(max, base * 2 ** (attempt - 1));
			options.log?.debug(`${options.what ?? 'transaction'}: retry ${attempt} after ${(error as Error).message}`);
			await new Promise((resolve) => setTimeout(resolve, delay));
		}
	}
}

/** MySQL/MariaDB, which lack `ON CONFLICT` and `RETURNING`. */
export function isMysql(db: Q): boolean {
	return db.getExecutor().adapter instanceof MysqlAdapter;
}
