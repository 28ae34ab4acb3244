import { emptyRequest, type LiveKeyChangedEvent } from '../../../src/lib/protocol/index.js';
import type { HandlerContext, RequestTable } from '../../chat/chat.types.js';
import { userRoom } from '../../chat/node/socket.js';
import type { StreamKeysService } from './keys.service.js';

/**
 * Tells the caller's other devices (`live:key:changed`), on every node through the adapter, so their
 * Settings stop showing a key that no longer works. Not the asking socket: it shows the new key, from
 * its ack, and only there.
 */
function tellOtherDevices(ctx: HandlerContext, event: LiveKeyChangedEvent): void {
	ctx.socket.to(userRoom(ctx.userId)).emit('live:key:changed', event);
}

/** The requests of docs/PROTOCOL.md "Stream keys", for the chat node's table. Always the caller's own key. */
export function streamKeyRequests(keys: StreamKeysService) {
	return {
		'live:key': { schema: emptyRequest, read: true, handle: async (ctx) => keys.get(ctx.userId) },
		'live:key:regenerate': {
			schema: emptyRequest,
			handle: async (ctx) => {
				const made = await keys.regenerate(ctx.userId);
				tellOtherDevices(ctx, { key: { createdAt: made.createdAt } });
				return made;
			}
		},
		'live:key:delete': {
			schema: emptyRequest,
			handle: async (ctx) => {
				if (await keys.delete(ctx.userId)) tellOtherDevices(ctx, { key: null });
				return {};
			}
		}
	} satisfies Partial<RequestTable>;
}
