import type { MediaSource } from '../../../src/lib/protocol/index.js';
import type { CallMedia } from '../call-media.js';
import type { HostHandler, HostRequest } from '../cluster/link.js';
import type { CallContext, CallsService, InviteInput } from './calls.service.js';

/**
 * A media node's answers to the chat nodes' requests: the `call:*` and `media:*` operations on the
 * calls it hosts. The chat node has checked each payload's shape, and who may start a call in a thread.
 * `media:*` act only for a participant on the socket they are in the call on.
 */
export function hostHandler(calls: CallsService, iceServers: () => unknown): HostHandler {
	return async (request: HostRequest) => {
		const { op, ctx, input } = request;
		const callId = input.callId as string;
		const str = (name: string) => input[name] as string;
		switch (op) {
			case 'invite':
				return { call: await calls.invite(ctx, input as unknown as InviteInput) };
			case 'test':
				return { call: await calls.loopback(ctx) };
			case 'accept':
				return { call: await calls.accept(ctx, callId) };
			case 'join':
				return { call: await calls.join(ctx, callId) };
			case 'decline':
				return calls.decline(ctx, callId).then(() => ({}));
			case 'cancel':
				return calls.cancel(ctx, callId).then(() => ({}));
			case 'hangup':
				return calls.hangup(ctx, callId).then(() => ({}));
			case 'socketGone':
				calls.socketGone(str('socketId'));
				return {};
			default:
				return mediaRequest(await calls.mediaOf<CallMedia>(ctx, callId), request, iceServers);
		}
	};
}

/** Whether a `media:*` request sends media (which a live stream's viewer may not). */
export function sendsMedia({ op, input }: HostRequest): boolean {
	return op === 'media:produce' || (op === 'media:createTransport' && input.direction === 'send');
}

/** The `media:*` operations on one call's (or live stream's) media, for the peer `ctx.userId`. */
export async function mediaRequest(on: CallMedia, { op, ctx, input }: HostRequest, iceServers: () => unknown): Promise<unknown> {
	const str = (name: string) => input[name] as string;
	switch (op) {
		case 'media:routerRtpCapabilities':
			return { rtpCapabilities: on.rtpCapabilities };
		case 'media:createTransport':
			return { transport: await on.createTransport(ctx.userId, input.direction as 'send' | 'recv'), iceServers: iceServers() };
		case 'media:connectTransport':
			return on.connectTransport(ctx.userId, str('transportId'), input.dtlsParameters).then(() => ({}));
		case 'media:restartIce':
			return { iceParameters: await on.restartIce(ctx.userId, str('transportId')) };
		case 'media:produce':
			return {
				producerId: await on.produce(ctx.userId, {
					transportId: str('transportId'),
					kind: input.kind as 'audio' | 'video',
					rtpParameters: input.rtpParameters,
					source: (input.appData as { source: MediaSource }).source
				})
			};
		case 'media:producers':
			return { producers: on.producersFor(ctx.userId) };
		case 'media:consume':
			return { consumer: await on.consume(ctx.userId, { transportId: str('transportId'), producerId: str('producerId'), rtpCapabilities: input.rtpCapabilities }) };
		case 'media:resumeConsumer':
			return on.resumeConsumer(ctx.userId, str('consumerId')).then(() => ({}));
		case 'media:pauseConsumer':
			return on.pauseConsumer(ctx.userId, str('consumerId')).then(() => ({}));
		case 'media:setPreferredLayers':
			return on
				.setPreferredLayers(ctx.userId, str('consumerId'), { spatialLayer: input.spatialLayer as number, ...(input.temporalLayer !== undefined ? { temporalLayer: input.temporalLayer as number } : {}) })
				.then(() => ({}));
		case 'media:pauseProducer':
		case 'media:resumeProducer':
			return on.setProducerPaused(ctx.userId, str('producerId'), op === 'media:pauseProducer').then(() => ({}));
		case 'media:closeProducer':
			on.closeProducer(ctx.userId, str('producerId'));
			return {};
		default:
			throw new Error(`"${op}" is no media operation`);
	}
}

export type { CallContext };
