import type {
	MessageResponse,
	messagesChangesRequest,
	MessagesChangesResponse,
	messagesDeleteRequest,
	messagesEditRequest,
	messagesEditsRequest,
	MessagesEditsResponse,
	messagesReactRequest
} from '../../../src/lib/protocol/index.js';
import type { Handler } from '../chat.types.js';

// Message actions (docs/PROTOCOL.md, "Message actions"): one small handler per request.

export const editMessage: Handler<typeof messagesEditRequest, MessageResponse> = async (ctx, input) => ({ message: await ctx.chat.actions.edit(ctx.userId, input) });

export const deleteMessage: Handler<typeof messagesDeleteRequest, MessageResponse> = async (ctx, input) => ({ message: await ctx.chat.actions.delete(ctx.userId, input) });

export const reactToMessage: Handler<typeof messagesReactRequest, MessageResponse> = async (ctx, input) => ({ message: await ctx.chat.actions.react(ctx.userId, input) });

export const listEdits: Handler<typeof messagesEditsRequest, MessagesEditsResponse> = (ctx, input) => ctx.chat.actions.edits(ctx.userId, input);

export const listChanges: Handler<typeof messagesChangesRequest, MessagesChangesResponse> = (ctx, input) => ctx.chat.actions.changes(ctx.userId, input);
