import type { ThreadResponse, threadsGetRequest, threadsMuteRequest, threadsListRequest, ThreadsListResponse, threadsOpenRequest } from '../../../src/lib/protocol/index.js';
import type { Handler } from '../chat.types.js';

export const openThread: Handler<typeof threadsOpenRequest, ThreadResponse> = async (ctx, input) => ({
	thread: await ctx.chat.threads.open(ctx.userId, input.userId)
});

export const getThread: Handler<typeof threadsGetRequest, ThreadResponse> = async (ctx, input) => ({
	thread: await ctx.chat.threads.get(ctx.userId, input.threadId)
});

export const listThreads: Handler<typeof threadsListRequest, ThreadsListResponse> = (ctx, input) => ctx.chat.threads.list(ctx.userId, input);

/** `threads:mute`: the user's other devices get the thread's new state (`thread:updated`). */
export const muteThread: Handler<typeof threadsMuteRequest, ThreadResponse> = async (ctx, input) => {
	const thread = await ctx.chat.threads.mute(ctx.userId, input.threadId, input.until);
	ctx.chat.emitter.toUsers([ctx.userId], 'thread:updated', { thread });
	return { thread };
};
