import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConsumerInfo, ProducerInfo, Thread, TransportInfo } from '../../src/lib/protocol/index.js';
import { befriend, Events, fails, ok, people, type Person } from '../helpers/chat.js';
import { connectedCall, describeWithWorker, FAKE_DTLS, fakeRtpParameters, mediaEnv } from '../helpers/media.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const MEDIA_EVENTS = ['media:newProducer', 'media:producerClosed', 'media:producerPaused', 'media:producerResumed', 'call:ended'] as const;

// media:* over the chat socket against the real worker: transports are made on the configured address,
// a producer and a consumer are negotiated on the server (fake but valid RTP parameters: no browser),
// peers are told about each other's producers, and everything closes when the call ends.
describeWithWorker('media signaling on sqlite', () => {
	let t: TestParley;
	let a: Person;
	let b: Person;
	let thread: Thread;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: { ...mediaEnv(), ICE_SERVERS: '[{"urls":"stun:stun.example.test:3478"}]' }, parley: { limits: { codesPerIp: 10_000 } } });
		[a, b] = await people(t, 2);
		thread = await befriend(a, b);
	});
	afterAll(async () => t?.stop());

	async function transport(who: Person, callId: string, direction: 'send' | 'recv'): Promise<TransportInfo> {
		const res = await ok<{ transport: TransportInfo; iceServers: unknown[] }>(who.socket, 'media:createTransport', { callId, direction });
		expect(res.iceServers).toEqual([{ urls: 'stun:stun.example.test:3478' }]);
		return res.transport;
	}

	it('negotiates transports, a producer and a paused consumer; tells the peer about pause, resume and close', async () => {
		const ea = new Events(a.socket, [...MEDIA_EVENTS]);
		const eb = new Events(b.socket, [...MEDIA_EVENTS]);
		const callId = await connectedCall(a, b.socket, thread.id);

		const { rtpCapabilities } = await ok<{ rtpCapabilities: { codecs: Array<{ mimeType: string }> } }>(b.socket, 'media:routerRtpCapabilities', { callId });
		const mimes = rtpCapabilities.codecs.map((c) => c.mimeType);
		expect(mimes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));

		const send = await transport(a, callId, 'send');
		const recv = await transport(b, callId, 'recv');
		expect(send.iceCandidates).toEqual(expect.arrayContaining([expect.objectContaining({ ip: '127.0.0.1', protocol: 'udp' })]));
		for (const c of send.iceCandidates as Array<{ port: number }>) expect(c.port).toBeGreaterThanOrEqual(42000);
		await ok(a.socket, 'media:connectTransport', { callId, transportId: send.id, dtlsParameters: FAKE_DTLS });
		await ok(b.socket, 'media:connectTransport', { callId, transportId: recv.id, dtlsParameters: FAKE_DTLS });

		// A peer cannot use the other's transport, nor receive on a send transport.
		await fails(b.socket, 'media:produce', { callId, transportId: send.id, kind: 'audio', rtpParameters: fakeRtpParameters('audio', 1111), appData: { source: 'mic' } }, 'not_found');

		const { producerId } = await ok<{ producerId: string }>(a.socket, 'media:produce', { callId, transportId: send.id, kind: 'audio', rtpParameters: fakeRtpParameters('audio', 1111), appData: { source: 'mic' } });
		const announced = await eb.next('media:newProducer', (p) => p.callId === callId);
		expect(announced.producer).toEqual<ProducerInfo>({ producerId, userId: a.user.id, kind: 'audio', source: 'mic', paused: false });
		expect(await ea.none('media:newProducer', () => true, 50)).toBe(true);
		// One producer per source.
		await fails(a.socket, 'media:produce', { callId, transportId: send.id, kind: 'audio', rtpParameters: fakeRtpParameters('audio', 2222), appData: { source: 'mic' } }, 'conflict');
		const { producerId: videoId } = await ok<{ producerId: string }>(a.socket, 'media:produce', { callId, transportId: send.id, kind: 'video', rtpParameters: fakeRtpParameters('video', 3333), appData: { source: 'camera' } });

		const { producers } = await ok<{ producers: ProducerInfo[] }>(b.socket, 'media:producers', { callId });
		expect(producers.map((p) => p.producerId).sort()).toEqual([producerId, videoId].sort());
		expect((await ok<{ producers: ProducerInfo[] }>(a.socket, 'media:producers', { callId })).producers).toEqual([]);

		await fails(b.socket, 'media:consume', { callId, transportId: recv.id, producerId: 'nope', rtpCapabilities }, 'not_found');
		await fails(b.socket, 'media:consume', { callId, transportId: recv.id, producerId, rtpCapabilities: { codecs: [] } }, 'invalid_input');
		const { consumer } = await ok<{ consumer: ConsumerInfo }>(b.socket, 'media:consume', { callId, transportId: recv.id, producerId, rtpCapabilities });
		expect(consumer).toMatchObject({ producerId, kind: 'audio', source: 'mic', producerPaused: false });
		expect((consumer.rtpParameters as { codecs: Array<{ mimeType: string }> }).codecs[0].mimeType).toBe('audio/opus');
		const { consumer: video } = await ok<{ consumer: ConsumerInfo }>(b.socket, 'media:consume', { callId, transportId: recv.id, producerId: videoId, rtpCapabilities });
		expect((video.rtpParameters as { codecs: Array<{ mimeType: string }> }).codecs[0].mimeType).toBe('video/VP8');
		await ok(b.socket, 'media:resumeConsumer', { callId, consumerId: consumer.id });
		await fails(a.socket, 'media:resumeConsumer', { callId, consumerId: consumer.id }, 'not_found');

		await ok(a.socket, 'media:pauseProducer', { callId, producerId });
		await eb.next('media:producerPaused', (p) => p.producerId === producerId);
		await ok(a.socket, 'media:resumeProducer', { callId, producerId });
		await eb.next('media:producerResumed', (p) => p.producerId === producerId);
		await fails(b.socket, 'media:pauseProducer', { callId, producerId }, 'not_found');
		await ok(a.socket, 'media:closeProducer', { callId, producerId: videoId });
		await eb.next('media:producerClosed', (p) => p.producerId === videoId);

		// The call ends: its router, transports, producers and consumers go with it.
		const media = (await t.parley.media!.calls!.registry.get(callId)!.media!) as unknown as { router: { closed: boolean } };
		await ok(b.socket, 'call:hangup', { callId });
		await ea.next('call:ended', (p) => p.callId === callId);
		expect(media.router.closed).toBe(true);
		await fails(a.socket, 'media:produce', { callId, transportId: send.id, kind: 'audio', rtpParameters: fakeRtpParameters('audio', 4444), appData: { source: 'mic' } }, 'not_found');
		expect(t.parley.media!.calls!.registry.size).toBe(0);
	});

	it('the caller may set up media while it rings; the callee gets the producers made before answering', async () => {
		const { call } = await ok(a.socket, 'call:invite', { threadId: thread.id, video: false });
		const send = await transport(a, call.callId, 'send');
		const { producerId } = await ok<{ producerId: string }>(a.socket, 'media:produce', { callId: call.callId, transportId: send.id, kind: 'audio', rtpParameters: fakeRtpParameters('audio', 5555), appData: { source: 'mic' } });
		await ok(b.socket, 'call:accept', { callId: call.callId });
		const { producers } = await ok<{ producers: ProducerInfo[] }>(b.socket, 'media:producers', { callId: call.callId });
		expect(producers.map((p) => p.producerId)).toEqual([producerId]);
		await ok(a.socket, 'call:hangup', { callId: call.callId });
	});

	it('call:test loops your own media through the SFU: you consume your own producer; no thread, no line', async () => {
		const [c] = await people(t, 1);
		const { call } = await ok(c.socket, 'call:test', {});
		expect(call).toMatchObject({ state: 'active', callerId: c.user.id, calleeId: c.user.id, threadId: '' });
		await fails(c.socket, 'call:test', {}, 'conflict');
		const send = await transport(c, call.callId, 'send');
		const recv = await transport(c, call.callId, 'recv');
		const { producerId } = await ok<{ producerId: string }>(c.socket, 'media:produce', { callId: call.callId, transportId: send.id, kind: 'video', rtpParameters: fakeRtpParameters('video', 7777), appData: { source: 'camera' } });
		expect((await ok<{ producers: ProducerInfo[] }>(c.socket, 'media:producers', { callId: call.callId })).producers.map((p) => p.producerId)).toEqual([producerId]);
		const { rtpCapabilities } = await ok(c.socket, 'media:routerRtpCapabilities', { callId: call.callId });
		const { consumer } = await ok<{ consumer: ConsumerInfo }>(c.socket, 'media:consume', { callId: call.callId, transportId: recv.id, producerId, rtpCapabilities });
		expect(consumer.producerId).toBe(producerId);
		const ec = new Events(c.socket, ['call:ended', 'message:new']);
		await ok(c.socket, 'call:hangup', { callId: call.callId });
		await ec.next('call:ended', (p) => p.callId === call.callId);
		expect(await ec.none('message:new', () => true, 200)).toBe(true);
	});

	it('transports per peer are bounded', async () => {
		const [c, d] = await people(t, 2);
		const th = await befriend(c, d);
		const callId = await connectedCall(c, d.socket, th.id);
		for (let i = 0; i < 4; i++) await transport(c, callId, i % 2 ? 'send' : 'recv');
		await fails(c.socket, 'media:createTransport', { callId, direction: 'send' }, 'conflict');
		await ok(c.socket, 'call:hangup', { callId });
	});

	it('a transport whose connection failed gets new ICE parameters; only its owner may ask', async () => {
		const [c, d] = await people(t, 2);
		const th = await befriend(c, d);
		const callId = await connectedCall(c, d.socket, th.id);
		const recv = await transport(c, callId, 'recv');
		const before = recv.iceParameters as { usernameFragment: string; password: string };
		const { iceParameters } = await ok<{ iceParameters: { usernameFragment: string; password: string } }>(c.socket, 'media:restartIce', { callId, transportId: recv.id });
		expect(iceParameters.usernameFragment).toEqual(expect.any(String));
		expect(iceParameters.usernameFragment).not.toBe(before.usernameFragment);
		expect(iceParameters.password).not.toBe(before.password);
		await fails(d.socket, 'media:restartIce', { callId, transportId: recv.id }, 'not_found');
		await fails(c.socket, 'media:restartIce', { callId }, 'invalid_input');
		await fails(c.socket, 'media:restartIce', { callId, transportId: recv.id, extra: 1 }, 'invalid_input');
		await ok(c.socket, 'call:hangup', { callId });
	});
});
