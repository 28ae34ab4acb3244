import {
	callIdRequest,
	callInviteRequest,
	emptyRequest,
	mediaConnectTransportRequest,
	mediaConsumeRequest,
	mediaConsumerRequest,
	mediaCreateTransportRequest,
	mediaLayersRequest,
	mediaProduceRequest,
	mediaProducerRequest,
	mediaTransportRequest,
	type CallConfigResponse
} from '../../../src/lib/protocol/index.js';
import type { RequestTable } from '../../chat/chat.types.js';
import type { HostOp } from '../cluster/link.js';
import type { CallsFront } from './calls.front.js';

/**
 * The `call:*` and `media:*` rows of the chat socket's request table: each payload is checked here,
 * then `CallsFront` passes it to the media node that hosts the call.
 */
export function callRequests(options: { front: CallsFront; config: () => Promise<CallConfigResponse> }): RequestTable {
	const { front } = options;
	const pass =
		(op: HostOp) =>
		<I extends { callId: string }>(ctx: { userId: string; socket: { id: string } }, input: I) =>
			front.pass<never>(ctx, op, input);
	return {
		'call:config': { schema: emptyRequest, handle: async () => options.config() },
		'call:active': { schema: emptyRequest, handle: async (ctx) => front.active(ctx.userId) },
		'call:test': { schema: emptyRequest, handle: async (ctx) => front.test(ctx) },
		'call:invite': { schema: callInviteRequest, handle: async (ctx, input) => front.invite(ctx, input) },
		'call:join': { schema: callIdRequest, handle: async (ctx, input) => front.join(ctx, input.callId) },
		'call:accept': { schema: callIdRequest, handle: async (ctx, input) => front.join(ctx, input.callId, 'accept') },
		'call:decline': { schema: callIdRequest, handle: pass('decline') },
		'call:cancel': { schema: callIdRequest, handle: pass('cancel') },
		'call:hangup': { schema: callIdRequest, handle: pass('hangup') },
		'media:routerRtpCapabilities': { schema: callIdRequest, handle: pass('media:routerRtpCapabilities') },
		'media:createTransport': { schema: mediaCreateTransportRequest, handle: pass('media:createTransport') },
		'media:connectTransport': { schema: mediaConnectTransportRequest, handle: pass('media:connectTransport') },
		'media:restartIce': { schema: mediaTransportRequest, handle: pass('media:restartIce') },
		'media:produce': { schema: mediaProduceRequest, handle: pass('media:produce') },
		'media:producers': { schema: callIdRequest, handle: pass('media:producers') },
		'media:consume': { schema: mediaConsumeRequest, handle: pass('media:consume') },
		'media:resumeConsumer': { schema: mediaConsumerRequest, handle: pass('media:resumeConsumer') },
		'media:pauseConsumer': { schema: mediaConsumerRequest, handle: pass('media:pauseConsumer') },
		'media:setPreferredLayers': { schema: mediaLayersRequest, handle: pass('media:setPreferredLayers') },
		'media:pauseProducer': { schema: mediaProducerRequest, handle: pass('media:pauseProducer') },
		'media:resumeProducer': { schema: mediaProducerRequest, handle: pass('media:resumeProducer') },
		'media:closeProducer': { schema: mediaProducerRequest, handle: pass('media:closeProducer') }
	};
}
