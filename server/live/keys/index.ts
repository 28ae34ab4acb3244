import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { createLimiter } from '../../auth/rate-limits.js';
import type { RequestTable } from '../../chat/chat.types.js';
import type { Database } from '../../db/schema.js';
import type { Logger } from '../../logger.js';
import { streamKeyRequests } from './keys.handlers.js';
import { StreamKeysService } from './keys.service.js';

export { authenticateStreamKey, hashStreamKey, StreamKeysService } from './keys.service.js';

/** How often one user may make a new stream key. */
export interface StreamKeyLimits {
	/**
	 * `live:key:regenerate` requests one user may make per window, over all devices. Default 5: enough
	 * to fix a key pasted in the wrong place, while a script cannot churn the table.
	 */
	regenerationsPerWindow: number;
	/** Default 600 (10 minutes). */
	regenerationWindowSeconds: number;
}

export const DEFAULT_STREAM_KEY_LIMITS: StreamKeyLimits = { regenerationsPerWindow: 5, regenerationWindowSeconds: 600 };

export interface StreamKeysOptions {
	db: Kysely<Database>;
	/** The RTMP URL streamers are shown (`Config.rtmpPublicUrl`). */
	rtmpUrl: string;
	/** Shares the regeneration limit across chat nodes when given; else it is counted in this process. */
	redis?: Redis;
	/** `REDIS_PREFIX` for the limit's keys. Default `parley:`. */
	redisPrefix?: string;
	/** Overrides of `DEFAULT_STREAM_KEY_LIMITS`. */
	limits?: Partial<StreamKeyLimits>;
	log: Logger;
}

/** The stream keys' service and their rows for the chat node's request table. */
export function createStreamKeys(options: StreamKeysOptions): { service: StreamKeysService; requests: RequestTable } {
	const limits = { ...DEFAULT_STREAM_KEY_LIMITS, ...options.limits };
	const service = new StreamKeysService({
		db: options.db,
		rtmpUrl: options.rtmpUrl,
		regenerations: createLimiter({
			redis: options.redis,
			prefix: options.redisPrefix,
			name: 'stream-key-regenerations',
			points: limits.regenerationsPerWindow,
			durationSeconds: limits.regenerationWindowSeconds,
			message: `you are making stream keys too fast (at most ${limits.regenerationsPerWindow} in ${limits.regenerationWindowSeconds} s)`
		}),
		log: options.log
	});
	return { service, requests: streamKeyRequests(service) };
}
