import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/**
 * True when `error` says Redis could not be reached (down, restarting, a failover), not that a
 * command was wrong: ioredis gives up on a command after `maxRetriesPerRequest` reconnection attempts
 * (`MaxRetriesPerRequestError`), or fails it when the connection closes under it. (A refused socket,
 * ECONNREFUSED, reaches the client's 'error' listener, not the commands: as a command's error it
 * comes from the database, server/db/outage.ts.) Such a request did nothing: the client may send it again.
 */
export function isRedisUnavailable(error: unknown): boolean {
	const e = error as { name?: string; message?: string } | null;
	if (!e || typeof e !== 'object') return false;
	if (e.name === 'MaxRetriesPerRequestError') return true;
	return typeof e.message === 'string' && /^(Connection is closed\.|Stream isn't writeable|Reached the max retries per request limit)/.test(e.message);
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

/**
 * `client` for socket.io's Redis adapter and emitter, which publish without waiting for the answer:
 * a publish that fails (Redis away: ioredis gives up after `maxRetriesPerRequest`) rejected with
 * nobody listening, and Node ended the process for it: a chat node died of a 2-second Redis restart
 * (cluster.redis-restart.spec, about one run in six). Here such a failure resolves to 0 receivers
 * and is logged once per outage: the event is lost as any event during an outage is, and clients
 * catch up on reconnecting. Everything else goes to the client as it is.
 */
export function outageSafePublisher(client: Redis, name: string, log: Logger): Redis {
	let failing = false;
	client.on('ready', () => (failing = false));
	const publish = (channel: string | Buffer, message: string | Buffer): Promise<number> =>
		client.publish(channel, message).catch((error: unknown) => {
			if (!failing) log.warn(`Redis (${name}): events published while it is unreachable are dropped (${(error as Error).message})`);
			failing = true;
			return 0;
		});
	return new Proxy(client, {
		get(target, prop) {
			if (prop === 'publish') return publish;
			const value = Reflect.get(target, prop, target) as unknown;
			return typeof value === 'function' && prop !== 'constructor' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		}
	});
}
