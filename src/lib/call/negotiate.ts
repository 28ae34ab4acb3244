import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { ChatConnection } from '$lib/chat/connection';
import type { IceServer, MediaSource } from '$lib/protocol';

/** How media talks to the server: the chat socket's request (`media:*`, with a call's or a stream's id as `callId`). */
export type Request = ChatConnection['request'];

/** A mediasoup-client `Device` loaded with the router of the call or stream `callId`. */
export async function loadDevice(request: Request, callId: string): Promise<Device> {
	const { rtpCapabilities } = await request('media:routerRtpCapabilities', { callId });
	const device = await Device.factory();
	await device.load({ routerRtpCapabilities: rtpCapabilities as types.RtpCapabilities });
	return device;
}

/**
 * One WebRTC transport to the router of `callId`, wired to the server: `connect` goes out as
 * `media:connectTransport`, a send transport's `produce` as `media:produce`, and a connection that
 * fails (a network change, a path that stopped answering) asks `media:restartIce` for new ICE
 * parameters and tries again, up to 3 times in a row. `onState` gets each connection state.
 */
export async function openTransport(options: {
	device: Device;
	request: Request;
	callId: string;
	direction: 'send' | 'recv';
	/** Used when the server names no ICE servers for the transport. Default none. */
	fallbackIceServers?: IceServer[];
	onState?: (state: types.ConnectionState) => void;
}): Promise<types.Transport> {
	const { device, request, callId, direction } = options;
	const { transport: t, iceServers } = await request('media:createTransport', { callId, direction });
	const params = {
		id: t.id,
		iceParameters: t.iceParameters as types.IceParameters,
		iceCandidates: t.iceCandidates as types.IceCandidate[],
		dtlsParameters: t.dtlsParameters as types.DtlsParameters,
		iceServers: (iceServers.length ? iceServers : (options.fallbackIceServers ?? iceServers)) as RTCIceServer[]
	};
	const transport = direction === 'send' ? device.createSendTransport(params) : device.createRecvTransport(params);
	transport.on('connect', ({ dtlsParameters }, callback, errback) => {
		request('media:connectTransport', { callId, transportId: transport.id, dtlsParameters: dtlsParameters as unknown as Record<string, unknown> }).then(() => callback(), errback);
	});
	let restarts = 0;
	transport.on('connectionstatechange', (state) => {
		if (state === 'connected') restarts = 0;
		if (state === 'failed' && restarts++ < 3 && !transport.closed) {
			request('media:restartIce', { callId, transportId: transport.id })
				.then(({ iceParameters }) => transport.restartIce({ iceParameters: iceParameters as types.IceParameters }))
				.catch(() => undefined);
		}
		options.onState?.(state);
	});
	if (direction === 'send') {
		transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
			request('media:produce', {
				callId,
				transportId: transport.id,
				kind,
				rtpParameters: rtpParameters as unknown as Record<string, unknown>,
				appData: { source: (appData as { source: MediaSource }).source }
			}).then(({ producerId }) => callback({ id: producerId }), errback);
		});
	}
	return transport;
}
