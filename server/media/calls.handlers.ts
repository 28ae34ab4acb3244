import {
	callIdRequest,
	callInviteRequest,
	emptyRequest,
	mediaConnectTransportRequest,
	mediaConsumeRequest,
	mediaConsumerRequest,
	mediaCreateTransportRequest,
	mediaProduceRequest,
	mediaProducerRequest,
	type CallConfigResponse
} from '../../src/lib/protocol/index.js';
import type { RequestTable } from '../chat/dispatch.js';
import type { CallMedia } from './call-media.js';
import type { CallsService } from './calls.service.js';

/**
 * The `call:*` and `media:*` rows of the chat socket's request table. The acting user and socket come
 * from the handler context; `media:*` act only on the socket the user is in the call on.
 */
export function callRequests(options: { calls: CallsService; config: () => CallConfigResponse }): RequestTable {
	const { calls } = options;
	const media = (ctx: { userId: string; socket: { id: string } }, callId: string) => calls.mediaOf<CallMedia>(ctx.userId, ctx.socket.id, callId);
	return {
		'call:config': { schema: emptyRequest, handle: async () => options.config() },
		'call:test': { schema: emptyRequest, handle: async (ctx) => ({ call: await calls.loopback(ctx.userId, ctx.socket.id) }) },
		'call:invite': { schema: callInviteRequest, handle: async (ctx, input) => ({ call: await calls.invite(ctx.userId, ctx.socket.id, input) }) },
		'call:accept': { schema: callIdRequest, handle: async (ctx, input) => ({ call: await calls.accept(ctx.userId, ctx.socket.id, input.callId) }) },
		'call:decline': { schema: callIdRequest, handle: async (ctx, input) => (await calls.decline(ctx.userId, input.callId), {}) },
		'call:cancel': { schema: callIdRequest, handle: async (ctx, input) => (await calls.cancel(ctx.userId, input.callId), {}) },
		'call:hangup': { schema: callIdRequest, handle: async (ctx, input) => (await calls.hangup(ctx.userId, input.callId), {}) },
		'media:routerRtpCapabilities': {
			schema: callIdRequest,
			handle: async (ctx, input) => ({ rtpCapabilities: (await media(ctx, input.callId)).rtpCapabilities })
		},
		'media:createTransport': {
			schema: mediaCreateTransportRequest,
			handle: async (ctx, input) => ({ transport: await (await media(ctx, input.callId)).createTransport(ctx.userId, input.direction), iceServers: options.config().iceServers })
		},
		'media:connectTransport': {
			schema: mediaConnectTransportRequest,
			handle: async (ctx, input) => (await (await media(ctx, input.callId)).connectTransport(ctx.userId, input.transportId, input.dtlsParameters), {})
		},
		'media:produce': {
			schema: mediaProduceRequest,
			handle: async (ctx, input) => ({
				producerId: await (await media(ctx, input.callId)).produce(ctx.userId, { transportId: input.transportId, kind: input.kind, rtpParameters: input.rtpParameters, source: input.appData.source })
			})
		},
		'media:producers': { schema: callIdRequest, handle: async (ctx, input) => ({ producers: (await media(ctx, input.callId)).producersFor(ctx.userId) }) },
		'media:consume': { schema: mediaConsumeRequest, handle: async (ctx, input) => ({ consumer: await (await media(ctx, input.callId)).consume(ctx.userId, input) }) },
		'media:resumeConsumer': { schema: mediaConsumerRequest, handle: async (ctx, input) => (await (await media(ctx, input.callId)).resumeConsumer(ctx.userId, input.consumerId), {}) },
		'media:pauseProducer': { schema: mediaProducerRequest, handle: async (ctx, input) => (await (await media(ctx, input.callId)).setProducerPaused(ctx.userId, input.producerId, true), {}) },
		'media:resumeProducer': { schema: mediaProducerRequest, handle: async (ctx, input) => (await (await media(ctx, input.callId)).setProducerPaused(ctx.userId, input.producerId, false), {}) },
		'media:closeProducer': { schema: mediaProducerRequest, handle: async (ctx, input) => ((await media(ctx, input.callId)).closeProducer(ctx.userId, input.producerId), {}) }
	};
}
