import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * True when `error` says Redis could not be reached (down, restarting, a failover), not that a
 * command was wrong: ioredis gives up on a command after `maxRetriesPerRequest` reconnection attempts
 * (`MaxRetriesPerRequestError`), fails it when the connection closes under it, or passes on the
 * socket's error. Such a request did nothing that was acknowledged: the client may send it again.
 */
export function isRedisUnavailable(error: unknown): boolean {
	const e = error as { name?: string; message?: string; code?: string } | null;
	if (!e || typeof e !== 'object') return false;
	if (e.name === 'MaxRetriesPerRequestError') return true;
	if (typeof e.message === 'string' && /^(Connection is closed\.|Stream isn't writeable|Reached the max retries per request limit)/.test(e.message)) return true;
	return e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ETIMEDOUT';
}

/** The contract's answer to a request that failed because Redis was away: 503 `unavailable`, try again. */
export function redisUnavailable(): AppError {
	return new AppError('unavailable', 'the cluster’s Redis is unreachable for a moment; nothing was done, try again');
}

/**
 * Listens to a Redis connection's errors (unheard, ioredis prints each one as "Unhandled error
 * event") and logs the outage once when it starts and once when the connection is back, however many
 * reconnection attempts it takes in between.
 */
export function watchRedis(client: Redis, name: string, log: Logger): void {
	let down = false;
	client.on('error', (error: Error) => {
		if (down) return;
		down = true;
		log.warn(`Redis (${name}) unreachable: ${error.message}; reconnecting`);
	});
	client.on('ready', () => {
		if (!down) return;
		down = false;
		log.info(`Redis (${name}) reachable again`);
	});
}
