import type {
	Empty,
	MessageResponse,
	messagesListRequest,
	MessagesListResponse,
	messagesReceiptRequest,
	messagesReadersRequest,
	MessagesReadersResponse,
	messagesSendRequest,
	typingRequest
} from '../../../src/lib/protocol/index.js';
import type { Handler } from '../chat.types.js';

export const listMessages: Handler<typeof messagesListRequest, MessagesListResponse> = (ctx, input) => ctx.chat.messages.list(ctx.userId, input);

/**
 * Sends run one after another per socket and thread: handlers are async, so without the queue a
 * device that sends m1 then m2 without waiting could see m2 take the lower seq.
 */
export const sendMessage: Handler<typeof messagesSendRequest, MessageResponse> = async (ctx, input) => ({
	message: await inOrder(ctx.socket, input.threadId, () => ctx.chat.messages.send(ctx.userId, input))
});

export const markRead: Handler<typeof messagesReceiptRequest, Empty> = async (ctx, input) => {
	await ctx.chat.messages.markRead(ctx.userId, input);
	return {};
};

export const markDelivered: Handler<typeof messagesReceiptRequest, Empty> = async (ctx, input) => {
	await ctx.chat.messages.markDelivered(ctx.userId, input);
	return {};
};

export const listReaders: Handler<typeof messagesReadersRequest, MessagesReadersResponse> = (ctx, input) => ctx.chat.messages.readers(ctx.userId, input);

export const typing: Handler<typeof typingRequest, Empty> = async (ctx, input) => {
	await ctx.chat.messages.typing(ctx.userId, input);
	return {};
};

const queues = new WeakMap<object, Map<string, Promise<void>>>();

/** Runs `work` after every earlier `work` of the same owner and key has settled. */
function inOrder<T>(owner: object, key: string, work: () => Promise<T>): Promise<T> {
	let tails = queues.get(owner);
	if (!tails) queues.set(owner, (tails = new Map()));
	const result = (tails.get(key) ?? Promise.resolve()).then(work);
	const tail = result.then(
		() => undefined,
		() => undefined
	);
	tails.set(key, tail);
	void tail.then(() => {
		if (tails.get(key) === tail) tails.delete(key);
	});
	return result;
}
