import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LiveInfo, LiveKeyRegenerateResponse, Thread } from '../../src/lib/protocol/index.js';
import { until, startCluster, type TestCluster } from '../helpers/cluster.js';
import { Device, liveLines, userOn, waitEvent } from '../helpers/cluster-device.js';
import { freePort } from '../helpers/parley.js';
import { describeWithFfmpeg, publish, type TestPublisher } from '../helpers/rtmp.js';

// docs/PROTOCOL.md, "Live streams (extension)", RTMP source, across nodes: the streamer's key made on
// chat node 1, ffmpeg publishing to the RTMP port of a media node of its own (ROLES=media), a viewer on
// chat node 2 told of the start, watching, finding the audio and video producers; ffmpeg ending by
// itself (-t) ends the stream for the viewer, and the thread's line is written once.

const MEDIA_ENV = { ROLES: 'media', MEDIA_WORKERS: '1', MEDIA_LISTEN_IP: '127.0.0.1', MEDIA_MIN_PORT: '45000', MEDIA_MAX_PORT: '45499', RTMP_HOST: '127.0.0.1' };

async function ok<T extends object>(device: Device, event: string, payload: unknown): Promise<T> {
	const ack = await device.request<T>(event, payload);
	if (!ack.ok) throw new Error(`${event}: ${JSON.stringify(ack.error)}`);
	return ack as T;
}

describeWithFfmpeg('RTMP into a live stream across chat nodes and a media node of its own (postgres)', () => {
	let cluster: TestCluster;
	const devices: Device[] = [];
	const publishers: TestPublisher[] = [];
	let a: Device, b: Device;
	let group: Thread;
	let rtmpPort: number;

	beforeAll(async () => {
		cluster = await startCluster({ backend: 'postgres', nodes: 2 });
		rtmpPort = await freePort();
		await cluster.spawnNode('media-1', { ...MEDIA_ENV, RTMP_PORT: String(rtmpPort) });
		a = await userOn(cluster, 'chat-1', devices);
		b = await userOn(cluster, 'chat-2', devices);
		devices.push(a, b);
		await ok(a, 'friends:request', { userId: b.login.user.id });
		await ok(b, 'friends:request', { userId: a.login.user.id });
		group = (await ok<{ thread: Thread }>(a, 'groups:create', { title: 'RTMP', memberIds: [b.login.user.id] })).thread;
	}, 180_000);
	afterAll(async () => {
		for (const p of publishers) await p.stop();
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	it('ffmpeg publishes to the media node; a viewer on another chat node watches; its end writes the line once', async () => {
		const { key } = await ok<LiveKeyRegenerateResponse>(a, 'live:key:regenerate', {});
		const publishedAt = Date.now();
		const p = publish(`rtmp://127.0.0.1:${rtmpPort}/live/${group.id}/${key}`, { seconds: 8 });
		publishers.push(p);

		const { live } = (await waitEvent(b, 'live:started', (x) => x.live.threadId === group.id, 'the RTMP start, across nodes', 20_000)) as { live: LiveInfo };
		const startedAfter = Date.now() - publishedAt;
		expect(live).toMatchObject({ source: 'rtmp', streamerId: a.login.user.id, state: 'live' });
		await ok(b, 'live:watch', { liveId: live.liveId });
		await expect
			.poll(async () => (await ok<{ producers: Array<{ kind: string }> }>(b, 'media:producers', { callId: live.liveId })).producers.map((x) => x.kind).sort(), { timeout: 15_000 })
			.toEqual(['audio', 'video']);

		expect(await p.exited, p.output()).toBe(0); // ffmpeg ends by itself after -t: FCUnpublish, deleteStream
		const exitedAt = Date.now();
		expect((await waitEvent(b, 'live:ended', (x) => x.liveId === live.liveId, 'the end, across nodes', 15_000)).reason).toBe('ended');
		const endedAfter = Date.now() - exitedAt;
		if (process.env.TEST_TIMINGS) console.info(`[cluster.rtmp] live:started ${startedAfter} ms after ffmpeg spawned; live:ended ${endedAfter} ms after it exited`);
		expect(endedAfter).toBeLessThan(5_000);
		await until(() => liveLines(b, group.id, live.liveId).length === 1, 'the line on the viewer\'s node');
		await new Promise((r) => setTimeout(r, 1500));
		expect(liveLines(b, group.id, live.liveId)).toHaveLength(1);
		expect(liveLines(a, group.id, live.liveId)).toHaveLength(1);
		expect(b.events.filter((e) => e.event === 'message:new' && e.payload.message.kind === 'live' && e.payload.message.clientId === live.liveId)).toHaveLength(1);
		expect(b.events.filter((e) => e.event === 'live:ended' && e.payload.liveId === live.liveId)).toHaveLength(1);
		expect((await ok<{ streams: unknown[] }>(b, 'live:active', {})).streams).toEqual([]);
	}, 90_000);
});
