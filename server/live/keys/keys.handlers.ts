import { emptyRequest } from '../../../src/lib/protocol/index.js';
import type { RequestTable } from '../../chat/chat.types.js';
import type { StreamKeysService } from './keys.service.js';

/** The requests of docs/PROTOCOL.md "Stream keys", for the chat node's table. Always the caller's own key. */
export function streamKeyRequests(keys: StreamKeysService) {
	return {
		'live:key': { schema: emptyRequest, read: true, handle: async (ctx) => keys.get(ctx.userId) },
		'live:key:regenerate': { schema: emptyRequest, handle: async (ctx) => keys.regenerate(ctx.userId) },
		'live:key:delete': {
			schema: emptyRequest,
			handle: async (ctx) => {
				await keys.delete(ctx.userId);
				return {};
			}
		}
	} satisfies Partial<RequestTable>;
}
