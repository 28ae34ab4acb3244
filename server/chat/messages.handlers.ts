import type {
	Empty,
	MessageResponse,
	messagesListRequest,
	MessagesListResponse,
	messagesReceiptRequest,
	messagesSendRequest,
	typingRequest
} from '../../src/lib/protocol/index.js';
import type { Handler } from './dispatch.js';

export const listMessages: Handler<typeof messagesListRequest, MessagesListResponse> = (ctx, input) => ctx.chat.messages.list(ctx.userId, input);

export const sendMessage: Handler<typeof messagesSendRequest, MessageResponse> = async (ctx, input) => ({
	message: await ctx.chat.messages.send(ctx.userId, input)
});

export const markRead: Handler<typeof messagesReceiptRequest, Empty> = async (ctx, input) => {
	await ctx.chat.messages.markRead(ctx.userId, input);
	return {};
};

export const markDelivered: Handler<typeof messagesReceiptRequest, Empty> = async (ctx, input) => {
	await ctx.chat.messages.markDelivered(ctx.userId, input);
	return {};
};

export const typing: Handler<typeof typingRequest, Empty> = async (ctx, input) => {
	await ctx.chat.messages.typing(ctx.userId, input);
	return {};
};
