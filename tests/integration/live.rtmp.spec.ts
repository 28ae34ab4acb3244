import type { types } from 'mediasoup';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LiveInfo, Message, ProducerInfo, Thread } from '../../src/lib/protocol/index.js';
import type { RtmpLive } from '../../server/media/live/ingest.js';
import { befriend, Events, fails, ok, people, type Person } from '../helpers/chat.js';
import { describeWithWorker, fakeRtpParameters, mediaEnv } from '../helpers/media.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// The handover from the RTMP ingest (server/media/rtmp/) to live streams (docs/PROTOCOL.md, "Live
// streams (extension)", RTMP): `startRtmp` starts a stream in a thread, the ingest's PlainTransport
// producers become the streamer's, viewers consume them; a dropped publisher resumes the same stream
// within the grace, or the stream ends. Here the ingest is played by the test: a PlainTransport on
// the stream's router, producing fake RTP parameters, as ffmpeg's RTP would arrive.
const EVENTS = ['live:started', 'live:updated', 'live:ended', 'media:newProducer', 'media:producerClosed', 'message:new'] as const;

describeWithWorker('live streams from RTMP (sqlite)', () => {
	let t: TestParley;
	let a: Person, b: Person, outsider: Person;
	let thread: Thread;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: mediaEnv(), parley: { limits: { codesPerIp: 10_000 } } });
		[a, b, outsider] = await people(t, 3);
		thread = await befriend(a, b);
	});
	afterAll(async () => t?.stop());

	const ingest = () => t.parley.media!.live!;

	async function publish(rtmp: RtmpLive, kind: 'audio' | 'video', ssrc: number): Promise<{ transport: types.PlainTransport; producer: types.Producer }> {
		const transport = await rtmp.router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
		const producer = await transport.produce({ kind, rtpParameters: fakeRtpParameters(kind, ssrc) as types.RtpParameters });
		await rtmp.addProducer(producer);
		return { transport, producer };
	}

	it('starts in a thread, viewers consume its producers, a dropped publisher resumes the same stream, end writes the line', async () => {
		const [ea, eb] = [a, b].map((p) => new Events(p.socket, [...EVENTS]));
		const eo = new Events(outsider.socket, [...EVENTS]);
		await expect(ingest().startRtmp({ userId: outsider.user.id, threadId: thread.id })).rejects.toMatchObject({ code: 'not_found' });

		const rtmp = await ingest().startRtmp({ userId: a.user.id, threadId: thread.id });
		expect(rtmp.live).toMatchObject({ source: 'rtmp', streamerId: a.user.id, threadId: thread.id, state: 'live' });
		const liveId = rtmp.live.liveId;
		for (const e of [ea, eb]) await e.next('live:started', (p) => p.live.liveId === liveId);
		// A second publisher of the same person, or the browser, is refused while it runs.
		await expect(ingest().startRtmp({ userId: a.user.id, threadId: thread.id })).rejects.toMatchObject({ code: 'conflict' });
		await fails(b.socket, 'live:start', { threadId: thread.id, source: 'camera' }, 'conflict');
		// The stream's media is the ingest's: the streamer's sockets do not negotiate it.
		await fails(a.socket, 'media:createTransport', { callId: liveId, direction: 'send' }, 'conflict');

		const video = await publish(rtmp, 'video', 7001);
		await ok(b.socket, 'live:watch', { liveId });
		const { producers } = await ok<{ producers: ProducerInfo[] }>(b.socket, 'media:producers', { callId: liveId });
		expect(producers).toMatchObject([{ producerId: video.producer.id, userId: a.user.id, kind: 'video', source: 'camera' }]);
		const audio = await publish(rtmp, 'audio', 7002);
		expect((await eb.next('media:newProducer', (p) => p.callId === liveId)).producer).toMatchObject({ producerId: audio.producer.id, source: 'mic' });

		// The publisher drops: reconnecting; its producers close for the viewer.
		video.transport.close();
		audio.transport.close();
		rtmp.suspend();
		expect((await eb.next('live:updated', (p) => p.live.liveId === liveId && p.live.state === 'reconnecting')).live.viewers).toBe(1);
		await eb.next('media:producerClosed', (p) => p.producerId === video.producer.id);
		// It comes back within the grace: the same stream, live again, with a new producer.
		const back = await ingest().startRtmp({ userId: a.user.id, threadId: thread.id });
		expect(back.live).toMatchObject({ liveId, state: 'live', viewers: 1 });
		await eb.next('live:updated', (p) => p.live.liveId === liveId && p.live.state === 'live');
		const again = await publish(back, 'video', 7003);
		await eb.next('media:newProducer', (p) => p.producer.producerId === again.producer.id);

		const closed = new Promise<void>((resolve) => back.router.observer.once('close', () => resolve()));
		back.end();
		await closed;
		expect(await eb.next('live:ended', (p) => p.liveId === liveId)).toMatchObject({ reason: 'ended', summary: { peakViewers: 1 } });
		const line = (await ea.next('message:new', (p) => p.message.kind === 'live' && p.message.clientId === liveId)).message as Message;
		expect(line.text).toMatch(/^Live, 0:0\d, 1 viewer at most$/);
		expect(eo.log).toEqual([]);
	});

	it('a publisher that does not come back within 10 s ends the stream (streamer_left)', async () => {
		const eb = new Events(b.socket, [...EVENTS]);
		const rtmp = await ingest().startRtmp({ userId: b.user.id, threadId: thread.id });
		rtmp.suspend();
		const ended = await eb.next('live:ended', (p) => p.liveId === rtmp.live.liveId, 14_000);
		expect(ended.reason).toBe('streamer_left');
		expect((await ok<{ streams: LiveInfo[] }>(a.socket, 'live:active', {})).streams).toEqual([]);
	}, 20_000);
});
