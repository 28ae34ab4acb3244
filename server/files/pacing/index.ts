import type { Redis } from 'ioredis';
import type { FilesRatesConfig } from '../../config/files-rates.js';
import type { Logger } from '../../logger.js';
import { shapeFor, type Bucket } from './bucket.js';
import { MemoryBuckets } from './memory-bucket.js';
import { Pacer } from './pacer.js';
import { RedisBuckets } from './redis-bucket.js';

/**
 * The files role's flow control (FILES_UPLOAD_RATE, FILES_DOWNLOAD_RATE, FILES_NODE_RATE): a pacing
 * stream for each transfer, drawing on the user's bucket for its direction (in Redis with REDIS_URL,
 * shared by every gateway) and on this node's bucket (always this process's: it guards this node's
 * CPU and network). Undefined when no rate applies: the transfer runs as fast as it goes.
 */
export interface Rates {
	/** For the bytes of an upload by `userId` on their way to disk. */
	upload(userId: string): Pacer | undefined;
	/** For the bytes of a file on their way to `userId`. */
	download(userId: string): Pacer | undefined;
	/** Whether any rate is set (a paced request may take longer than Node's request timeout allows). */
	readonly active: boolean;
}

export interface RatesOptions {
	rates: FilesRatesConfig;
	/** With REDIS_URL: users' buckets are kept there. */
	redis?: { client: Redis; prefix: string };
	log: Logger;
}

type Buckets = { bucket(key: string): Bucket };

export function createRates(options: RatesOptions): Rates {
	const { rates, redis, log } = options;
	const userBuckets = (name: string, rate: number): Buckets | undefined => {
		if (rate <= 0) return undefined;
		const shape = shapeFor(rate);
		const memory = new MemoryBuckets(shape);
		return redis ? new RedisBuckets({ redis: redis.client, prefix: redis.prefix, name, shape, fallback: memory, log }) : memory;
	};
	const up = userBuckets('files:rate:upload', rates.uploadBytesPerSecond);
	const down = userBuckets('files:rate:download', rates.downloadBytesPerSecond);
	const node = rates.nodeBytesPerSecond > 0 ? new MemoryBuckets(shapeFor(rates.nodeBytesPerSecond)).bucket('node') : undefined;

	const pacer = (user: Buckets | undefined, userId: string): Pacer | undefined => {
		const buckets = [...(user ? [user.bucket(userId)] : []), ...(node ? [node] : [])];
		return buckets.length > 0 ? new Pacer(buckets) : undefined;
	};
	return {
		upload: (userId) => pacer(up, userId),
		download: (userId) => pacer(down, userId),
		active: !!(up || down || node)
	};
}
