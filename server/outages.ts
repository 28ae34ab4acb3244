import { isDatabaseUnavailable } from './db/outage.js';
import { AppError } from './errors.js';
import { isRedisUnavailable } from './kv/outage.js';

/**
 * A request that failed because Redis or the database was unreachable for a moment (a restart, a
 * failover) as the contract's 503 `unavailable` (nothing was done: send it again, a message with the
 * same clientId), with what was away for the log; undefined for any other error (a bug: `internal`).
 */
export function outageOf(error: unknown): { error: AppError; what: string } | undefined {
	const what = isRedisUnavailable(error) ? 'Redis' : isDatabaseUnavailable(error) ? 'the database' : undefined;
	if (!what) return undefined;
	const name = what === 'Redis' ? 'the cluster’s Redis' : 'the database';
	return { error: new AppError('unavailable', `${name} is unreachable for a moment; nothing was done, try again`), what };
}
