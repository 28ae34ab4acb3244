import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { MediaRole } from '../media/index.js';
import { startRtmp, type RtmpRole } from '../media/rtmp/index.js';
import { authenticateStreamKey } from './keys/index.js';

export interface RtmpForMediaOptions {
	config: Config;
	db: Kysely<Database>;
	/** The media role of this process; RTMP runs only where it carries live streams. */
	media: MediaRole;
	log: Logger;
}

/**
 * The RTMP ingest of a media node, joined to its two halves: publishers are authenticated by their
 * stream key (server/live/keys) and become live streams of this node (server/media/live). Null where
 * the media role carries no live streams (no mediasoup worker); never throws (see `startRtmp`).
 */
export async function startRtmpForMedia(options: RtmpForMediaOptions): Promise<RtmpRole | null> {
	const live = options.media.live;
	if (!live) return null;
	return startRtmp({
		config: options.config.rtmp,
		authenticate: (key) => authenticateStreamKey(options.db, key),
		start: (input) => live.startRtmp(input),
		log: options.log
	});
}
