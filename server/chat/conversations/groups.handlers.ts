import type {
	Empty,
	groupsAddRequest,
	groupsCreateRequest,
	groupsLeaveRequest,
	groupsRemoveRequest,
	groupsRoleRequest,
	groupsUpdateRequest,
	ThreadResponse
} from '../../../src/lib/protocol/index.js';
import type { Handler } from '../chat.types.js';

export const createGroup: Handler<typeof groupsCreateRequest, ThreadResponse> = async (ctx, input) => ({ thread: await ctx.chat.groups.create(ctx.userId, input) });

export const addToGroup: Handler<typeof groupsAddRequest, ThreadResponse> = async (ctx, input) => ({ thread: await ctx.chat.groups.add(ctx.userId, input) });

export const removeFromGroup: Handler<typeof groupsRemoveRequest, ThreadResponse> = async (ctx, input) => ({ thread: await ctx.chat.groups.remove(ctx.userId, input) });

export const leaveGroup: Handler<typeof groupsLeaveRequest, Empty> = async (ctx, input) => {
	await ctx.chat.groups.leave(ctx.userId, input);
	return {};
};

export const updateGroup: Handler<typeof groupsUpdateRequest, ThreadResponse> = async (ctx, input) => ({ thread: await ctx.chat.groups.update(ctx.userId, input) });

export const setGroupRole: Handler<typeof groupsRoleRequest, ThreadResponse> = async (ctx, input) => ({ thread: await ctx.chat.groups.role(ctx.userId, input) });
