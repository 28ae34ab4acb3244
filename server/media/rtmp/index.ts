import type { RtmpConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { checkFfmpeg } from './ffmpeg.js';
import { RtmpIngest, type RtmpIngestOptions } from './ingest.js';

export type { RtmpLiveHandle, RtmpStream } from './ingest.js';

/** What healthz (and the live side, for the UI) says about RTMP on this media node. */
export type RtmpStatus = { rtmp: 'off' } | { rtmp: 'available'; port: number } | { rtmp: 'unavailable'; reason: string };

export interface RtmpRole {
	readonly status: RtmpStatus;
	/** The running server; null when off or unavailable. */
	readonly ingest: RtmpIngest | null;
	/** Stops listening and cuts the publishers (their streams are suspended, and end after the grace). */
	close(): Promise<void>;
}

export interface StartRtmpOptions {
	config: RtmpConfig;
	/** Stream key to user (the stream keys' service). */
	authenticate: RtmpIngestOptions['authenticate'];
	/** Starts or resumes the user's live stream in the thread on this media node (the live side). */
	start: RtmpIngestOptions['start'];
	log: Logger;
}

/**
 * The RTMP ingest of a media node: off with `RTMP_PORT=0`; unavailable, with the reason logged and
 * reported, when ffmpeg is missing or the port is taken (Parley runs on, calls and browser streams
 * work); else listening. Never throws.
 */
export async function startRtmp(options: StartRtmpOptions): Promise<RtmpRole> {
	const { config, log } = options;
	const none = (status: RtmpStatus): RtmpRole => ({ status, ingest: null, close: async () => {} });
	if (config.port === 0) {
		log.info('RTMP ingest off (RTMP_PORT=0)');
		return none({ rtmp: 'off' });
	}
	const ffmpeg = checkFfmpeg(config.ffmpeg);
	if (!ffmpeg.ok) {
		log.warn(`RTMP unavailable: ${ffmpeg.reason}`);
		return none({ rtmp: 'unavailable', reason: ffmpeg.reason });
	}
	try {
		const ingest = await RtmpIngest.start({
			port: config.port,
			host: config.host,
			ffmpeg: config.ffmpeg,
			target: config.videoCodec,
			authenticate: options.authenticate,
			start: options.start,
			log
		});
		log.info(`RTMP ingest on ${config.host}:${ingest.port} (ffmpeg ${config.ffmpeg}, video to ${config.videoCodec})`);
		return { status: { rtmp: 'available', port: ingest.port }, ingest, close: () => ingest.close() };
	} catch (error) {
		const reason = `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`;
		log.error(`RTMP unavailable: ${reason}`);
		return none({ rtmp: 'unavailable', reason });
	}
}
