import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConsumerInfo, LiveInfo, Thread, TransportInfo } from '../../src/lib/protocol/index.js';
import { befriend, ok, people, type Person } from '../helpers/chat.js';
import { describeWithWorker, FAKE_DTLS, fakeRtpParameters, mediaEnv } from '../helpers/media.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Viewers past one worker's room (docs/ARCHITECTURE.md, "Live streams"): two workers, each planned for
// two consumers. The first viewer receives the camera and the microphone on the stream's router; the
// second is put on a router on the other worker, the streamer's producers piped there once. When that
// viewer leaves, the extra router closes.
describeWithWorker('a live stream across two workers (sqlite)', () => {
	let t: TestParley;
	let a: Person, b: Person, c: Person;
	let group: Thread;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: { ...mediaEnv(), MEDIA_WORKERS: '2', MEDIA_WORKER_MAX_CONSUMERS: '2' }, parley: { limits: { codesPerIp: 10_000 } } });
		[a, b, c] = await people(t, 3);
		await befriend(a, b);
		await befriend(a, c);
		group = (await ok<{ thread: Thread }>(a.socket, 'groups:create', { title: 'Big stream', memberIds: [b.user.id, c.user.id] })).thread;
	});
	afterAll(async () => t?.stop());

	async function transport(who: Person, liveId: string, direction: 'send' | 'recv'): Promise<TransportInfo> {
		const { transport } = await ok<{ transport: TransportInfo }>(who.socket, 'media:createTransport', { callId: liveId, direction });
		await ok(who.socket, 'media:connectTransport', { callId: liveId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
		return transport;
	}

	async function watchAll(who: Person, liveId: string, producerIds: string[]): Promise<ConsumerInfo[]> {
		await ok(who.socket, 'live:watch', { liveId });
		const recv = await transport(who, liveId, 'recv');
		const { rtpCapabilities } = await ok<{ rtpCapabilities: unknown }>(who.socket, 'media:routerRtpCapabilities', { callId: liveId });
		const out: ConsumerInfo[] = [];
		for (const producerId of producerIds) out.push((await ok<{ consumer: ConsumerInfo }>(who.socket, 'media:consume', { callId: liveId, transportId: recv.id, producerId, rtpCapabilities })).consumer);
		return out;
	}

	it('the second viewer lands on the other worker; the stream is piped there; leaving closes that router', async () => {
		const pool = (await t.parley.media!.workers())!;
		const { live } = await ok<{ live: LiveInfo }>(a.socket, 'live:start', { threadId: group.id, source: 'camera' });
		const media = (await t.parley.media!.liveStreams!.find(live.liveId, a.user.id).media)!;
		const send = await transport(a, live.liveId, 'send');
		const producers: string[] = [];
		for (const [kind, ssrc] of [['video', 501], ['audio', 502]] as const) {
			producers.push((await ok<{ producerId: string }>(a.socket, 'media:produce', { callId: live.liveId, transportId: send.id, kind, rtpParameters: fakeRtpParameters(kind, ssrc), appData: { source: kind === 'video' ? 'camera' : 'mic' } })).producerId);
		}

		expect(await watchAll(b, live.liveId, producers)).toHaveLength(2);
		expect(media.routers).toBe(1);
		expect(pool.loadsByWorker().sort()).toEqual([0, 2]);

		expect((await watchAll(c, live.liveId, producers)).map((x) => x.producerId)).toEqual(producers);
		expect(media.routers).toBe(2);
		// The first worker: B's two consumers and the two pipes'; the second: C's two.
		expect(pool.loadsByWorker().sort()).toEqual([2, 4]);

		await ok(c.socket, 'live:leave', { liveId: live.liveId });
		await expect.poll(() => media.routers).toBe(1);
		await ok(a.socket, 'live:end', { liveId: live.liveId });
		await expect.poll(() => pool.loadsByWorker().reduce((x, y) => x + y, 0)).toBe(0);
	});
});
