import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { touchSessions } from './devices.repository.js';
import { LAST_SEEN_EVERY_MS } from './last-seen.js';

/** Sessions touched per statement: well under every database's limit on bound parameters. */
const CHUNK = 500;

export interface ConnectedSeen {
	/** Writes "now" as last seen for every connected session not written in the last minute. */
	sweep(): Promise<void>;
	stop(): void;
}

/**
 * Keeps Settings > Devices' "last seen" true for devices that stay connected: a socket's own requests
 * never write it (a message must not cost a write), so once a minute the chat node touches the
 * sessions of its connected sockets together, in a few statements, skipping those written within the
 * minute. A connected device is then never shown as seen more than about two minutes ago.
 * @param sessionIds the sessions of this node's connected sockets (may repeat)
 */
export function keepConnectedSeen(deps: { db: Kysely<Database>; log: Logger; sessionIds: () => Iterable<string> }): ConnectedSeen {
	let running: Promise<void> | null = null;
	const sweep = async () => {
		const ids = [...new Set(deps.sessionIds())];
		const now = Date.now();
		const staleBefore = new Date(now - LAST_SEEN_EVERY_MS).toISOString();
		for (let i = 0; i < ids.length; i += CHUNK) await touchSessions(deps.db, ids.slice(i, i + CHUNK), new Date(now).toISOString(), staleBefore);
	};
	const timer = setInterval(() => {
		running ??= sweep()
			.catch((error: Error) => deps.log.warn(`recording when connected sessions were last seen failed: ${error.message}`))
			.finally(() => (running = null));
	}, LAST_SEEN_EVERY_MS);
	timer.unref();
	return { sweep, stop: () => clearInterval(timer) };
}
