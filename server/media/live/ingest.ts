import type { types } from 'mediasoup';
import type { LiveInfo } from '../../../src/lib/protocol/index.js';
import type { Chat } from '../../chat/chat.types.js';
import { AppError } from '../../errors.js';
import { membersAndCard } from './live.front.js';
import type { LiveService } from './live.service.js';

/** An RTMP-sourced stream, as the RTMP ingest (server/media/rtmp/) holds it. */
export interface RtmpLive {
	/** `source: 'rtmp'`; the members were told `live:started` (or, on a resume, `live:updated`). */
	live: LiveInfo;
	/** The stream's router, on this process: make the PlainTransport for ffmpeg's RTP on it. */
	router: types.Router;
	/** Hands over a producer made on that transport: viewers are told (`media:newProducer`) and may consume it. */
	addProducer(producer: types.Producer): Promise<void>;
	/** The publisher dropped (close your transport): `reconnecting` for 10 s, then it ends unless `startRtmp` comes again. */
	suspend(): void;
	/** Ends the stream now (`ended`): the line is written, the router closes (your transport with it). */
	end(): void;
}

/** What the RTMP ingest asks of the live streams of its media node. */
export interface LiveIngest {
	/**
	 * Starts an RTMP stream by `userId` in `threadId` on this media node, or resumes theirs there that
	 * waits for its publisher. Throws `AppError`: `not_found` (no such thread or not a member),
	 * `forbidden` (a private thread they may not write to), `conflict` (the thread has a stream, or they
	 * stream already), `not_implemented` (no media worker): refuse the publish on any.
	 */
	startRtmp(input: { userId: string; threadId: string }): Promise<RtmpLive>;
}

export function liveIngest(chat: Chat, service: LiveService | null, unavailable: () => string | undefined): LiveIngest {
	return {
		async startRtmp({ userId, threadId }) {
			if (!service) throw new AppError('not_implemented', `live streams are unavailable on this server: ${unavailable() ?? 'no media role'}`);
			await chat.messages.assertMayPost(userId, threadId);
			let live = service.reconnecting(userId, threadId);
			if (live) service.resume(live);
			else live = await service.start(null, userId, { threadId, source: 'rtmp', ...(await membersAndCard(chat, userId, threadId)) });
			const media = await live.media!.catch(() => null);
			if (!media || live.state === 'ended') throw new AppError('unavailable', 'the media worker failed; try again');
			const l = live;
			return {
				live: l.info(),
				router: media.router,
				addProducer: (producer) => media.adopt(userId, producer, producer.kind === 'video' ? 'camera' : 'mic'),
				suspend: () => service.suspend(l),
				end: () => service.end(l, 'ended')
			};
		}
	};
}
