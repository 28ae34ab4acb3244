import { emptyRequest, liveIdRequest, liveStartRequest } from '../../../src/lib/protocol/index.js';
import type { RequestTable } from '../../chat/chat.types.js';
import type { LiveFront } from './live.front.js';

/**
 * The `live:*` rows of the chat socket's request table: each payload is checked here, then `LiveFront`
 * passes it to the media node that hosts the stream. Its media goes through the `media:*` rows, with
 * `callId = liveId`.
 */
export function liveRequests(front: LiveFront): RequestTable {
	return {
		'live:start': { schema: liveStartRequest, handle: async (ctx, input) => front.start(ctx, input) },
		'live:watch': { schema: liveIdRequest, handle: async (ctx, input) => front.watch(ctx, input.liveId) },
		'live:leave': { schema: liveIdRequest, handle: async (ctx, input) => front.leave(ctx, input.liveId, 'live:leave') },
		'live:end': { schema: liveIdRequest, handle: async (ctx, input) => front.leave(ctx, input.liveId, 'live:end') },
		'live:active': { schema: emptyRequest, handle: async (ctx) => front.active(ctx.userId) }
	};
}
