import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConsumerInfo, LiveInfo, Thread, TransportInfo } from '../../src/lib/protocol/index.js';
import { until, startCluster, type ChatChild, type TestCluster } from '../helpers/cluster.js';
import { Device, liveLines, userOn, waitEvent } from '../helpers/cluster-device.js';
import { describeWithWorker, FAKE_DTLS, fakeRtpParameters } from '../helpers/media.js';

// docs/PROTOCOL.md, "Live streams (extension)" across nodes: the streamer on one chat node, a viewer on
// another, the stream on a media node of its own (ROLES=media), every request over Redis. Then the
// media node killed with -9: every member gets `live:ended` `media_lost` within seconds, the line once.

const MEDIA_ENV = { ROLES: 'media', MEDIA_WORKERS: '1', MEDIA_LISTEN_IP: '127.0.0.1', MEDIA_MIN_PORT: '44500', MEDIA_MAX_PORT: '44999' };

async function ok<T extends object>(device: Device, event: string, payload: unknown): Promise<T> {
	const ack = await device.request<T>(event, payload);
	if (!ack.ok) throw new Error(`${event}: ${JSON.stringify(ack.error)}`);
	return ack as T;
}

async function code(device: Device, event: string, payload: unknown): Promise<string> {
	const ack = await device.request(event, payload);
	return ack.ok ? 'ok' : ack.error.code;
}

describeWithWorker('live streams across chat nodes and a media node of its own (postgres)', () => {
	let cluster: TestCluster;
	const devices: Device[] = [];
	let a: Device, b: Device, outsider: Device;
	let group: Thread;

	beforeAll(async () => {
		cluster = await startCluster({ backend: 'postgres', nodes: 2 });
		await cluster.spawnNode('media-1', MEDIA_ENV);
		a = await userOn(cluster, 'chat-1', devices);
		b = await userOn(cluster, 'chat-2', devices);
		outsider = await userOn(cluster, 'chat-2', devices);
		devices.push(a, b, outsider);
		await ok(a, 'friends:request', { userId: b.login.user.id });
		await ok(b, 'friends:request', { userId: a.login.user.id });
		group = (await ok<{ thread: Thread }>(a, 'groups:create', { title: 'Live', memberIds: [b.login.user.id] })).thread;
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	async function startWithCamera(ssrc: number): Promise<{ live: LiveInfo; producerId: string }> {
		const { live } = await ok<{ live: LiveInfo }>(a, 'live:start', { threadId: group.id, source: 'camera' });
		const { transport } = await ok<{ transport: TransportInfo }>(a, 'media:createTransport', { callId: live.liveId, direction: 'send' });
		await ok(a, 'media:connectTransport', { callId: live.liveId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
		const { producerId } = await ok<{ producerId: string }>(a, 'media:produce', { callId: live.liveId, transportId: transport.id, kind: 'video', rtpParameters: fakeRtpParameters('video', ssrc), appData: { source: 'camera' } });
		return { live, producerId };
	}

	it('a viewer on another chat node watches the stream hosted by the media node; the end writes the line', async () => {
		const { live, producerId } = await startWithCamera(9001);
		await waitEvent(b, 'live:started', (p) => p.live.liveId === live.liveId, 'the start, across nodes');
		expect(await code(outsider, 'live:watch', { liveId: live.liveId })).toBe('not_found');
		await ok(b, 'live:watch', { liveId: live.liveId });
		await waitEvent(a, 'live:updated', (p) => p.live.viewers === 1, 'the count, across nodes');
		const { rtpCapabilities } = await ok<{ rtpCapabilities: unknown }>(b, 'media:routerRtpCapabilities', { callId: live.liveId });
		const { transport } = await ok<{ transport: TransportInfo }>(b, 'media:createTransport', { callId: live.liveId, direction: 'recv' });
		expect((transport.iceCandidates as Array<{ port: number }>)[0].port).toBeGreaterThanOrEqual(44500);
		await ok(b, 'media:connectTransport', { callId: live.liveId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
		const { consumer } = await ok<{ consumer: ConsumerInfo }>(b, 'media:consume', { callId: live.liveId, transportId: transport.id, producerId, rtpCapabilities });
		expect(consumer).toMatchObject({ producerId, kind: 'video' });
		expect(await code(b, 'media:produce', { callId: live.liveId, transportId: transport.id, kind: 'video', rtpParameters: fakeRtpParameters('video', 9002), appData: { source: 'camera' } })).toBe('forbidden');
		expect((await ok<{ streams: LiveInfo[] }>(b, 'live:active', {})).streams.map((s) => s.liveId)).toEqual([live.liveId]);

		await ok(a, 'live:end', { liveId: live.liveId });
		expect((await waitEvent(b, 'live:ended', (p) => p.liveId === live.liveId, 'the end')).reason).toBe('ended');
		await until(() => liveLines(b, group.id, live.liveId).length === 1, 'the line on the other node');
		expect(outsider.events.filter((e) => e.event.startsWith('live:'))).toEqual([]);
	});

	it('the media node killed with -9: every member gets media_lost within seconds, and the line is written once', async () => {
		const { live } = await startWithCamera(9101);
		await ok(b, 'live:watch', { liveId: live.liveId });
		const host = cluster.nodes.get('media-1') as ChatChild;
		const killedAt = Date.now();
		host.process.kill('SIGKILL');
		await host.exited;
		for (const d of [a, b]) expect((await waitEvent(d, 'live:ended', (p) => p.liveId === live.liveId, 'media_lost', 15_000)).reason).toBe('media_lost');
		expect(Date.now() - killedAt).toBeLessThan(10_000);
		await until(() => liveLines(a, group.id, live.liveId).length === 1, 'the line of the lost stream');
		await new Promise((r) => setTimeout(r, 1500));
		expect(liveLines(b, group.id, live.liveId)).toHaveLength(1);
		expect((await ok<{ streams: LiveInfo[] }>(b, 'live:active', {})).streams).toEqual([]);
	});
});
