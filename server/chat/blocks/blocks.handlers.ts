import { emptyRequest, userIdRequest } from '../../../src/lib/protocol/index.js';
import type { RequestTable } from '../chat.types.js';

/** The requests of docs/PROTOCOL.md "Unfriend and block", for the chat node's table. */
export const BLOCK_REQUESTS = {
	'friends:remove': {
		schema: userIdRequest,
		handle: async (ctx, input) => {
			await ctx.chat.blocks.unfriend(ctx.userId, input.userId);
			return {};
		}
	},
	'users:block': {
		schema: userIdRequest,
		handle: async (ctx, input) => {
			await ctx.chat.blocks.block(ctx.userId, input.userId);
			return {};
		}
	},
	'users:unblock': {
		schema: userIdRequest,
		handle: async (ctx, input) => {
			await ctx.chat.blocks.unblock(ctx.userId, input.userId);
			return {};
		}
	},
	'users:blocked': { schema: emptyRequest, read: true, handle: async (ctx) => ({ users: await ctx.chat.blocks.list(ctx.userId) }) }
} satisfies Partial<RequestTable>;
