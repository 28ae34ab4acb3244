import { mediaRequest, sendsMedia } from '../calls/host.js';
import type { HostHandler, HostRequest } from '../cluster/link.js';
import type { LiveService, LiveStartInput } from './live.service.js';

/**
 * A media node's answers about live streams: `live:*`, and `media:*` whose `callId` names a stream
 * hosted here (checked by `owns`): the same operations as a call's, on the stream's media, where a
 * viewer may not send.
 */
export function liveHostHandler(live: LiveService, iceServers: () => unknown): { owns(request: HostRequest): boolean; handle: HostHandler } {
	return {
		owns: ({ op, input }) => op.startsWith('live:') || (op.startsWith('media:') && live.has(input.callId as string)),
		async handle(request) {
			const { op, ctx, input } = request;
			const liveId = input.liveId as string;
			switch (op) {
				case 'live:start':
					// The chat node found the thread, its members and the streamer's card (`LiveFront.start`).
					return { live: (await live.start(ctx, ctx.userId, input as unknown as LiveStartInput)).info() };
				case 'live:watch': {
					// `mediaNode`: the chat node sends this viewer's `media:*` there (a relay), not here.
					const info = await live.watch(ctx, liveId);
					const mediaNode = live.servedBy(liveId, ctx.userId);
					return mediaNode ? { live: info, mediaNode } : { live: info };
				}
				case 'live:leave':
					return live.leave(ctx, liveId).then(() => ({}));
				case 'live:end':
					return live.endBy(ctx, liveId).then(() => ({}));
				default: {
					return mediaRequest(await live.mediaOf(ctx, input.callId as string, sendsMedia(request)), request, iceServers);
				}
			}
		}
	};
}
