import type { emptyRequest, Empty, presenceVisibilityRequest, PushKeyResponse, pushSubscribeRequest, pushUnsubscribeRequest } from '../../src/lib/protocol/index.js';
import type { Handler } from '../chat/chat.types.js';
import { AppError } from '../errors.js';
import type { PushService } from './push.service.js';

function pushOf(ctx: { chat: { push?: PushService } }): PushService {
	if (!ctx.chat.push) throw new AppError('not_implemented', 'Web Push is not set up on this server');
	return ctx.chat.push;
}

export const pushKey: Handler<typeof emptyRequest, PushKeyResponse> = async (ctx) => ({ publicKey: pushOf(ctx).publicKey });

export const pushSubscribe: Handler<typeof pushSubscribeRequest, Empty> = async (ctx, input) => {
	await pushOf(ctx).subscribe(ctx.userId, input);
	return {};
};

export const pushUnsubscribe: Handler<typeof pushUnsubscribeRequest, Empty> = async (ctx, input) => {
	await pushOf(ctx).unsubscribe(ctx.userId, input.endpoint);
	return {};
};

/** The socket's page is hidden or visible again: kept on the socket, where `fetchSockets` finds it from any node. */
export const presenceVisibility: Handler<typeof presenceVisibilityRequest, Empty> = async (ctx, input) => {
	ctx.socket.data.hidden = input.hidden;
	return {};
};
