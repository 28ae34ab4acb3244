import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConsumerInfo, LiveInfo, LiveKeyRegenerateResponse, ProducerInfo, Thread, TransportInfo } from '../../src/lib/protocol/index.js';
import { startCluster, until, type TestCluster } from '../helpers/cluster.js';
import { Device, userOn, waitEvent } from '../helpers/cluster-device.js';
import { FAKE_DTLS } from '../helpers/media.js';
import { freePort, startParley, type TestParley } from '../helpers/parley.js';
import { describeWithFfmpeg, publish, type TestPublisher } from '../helpers/rtmp.js';

// docs/ARCHITECTURE.md, "Live streams across media nodes": two media nodes, each serving one viewer
// (LIVE_VIEWERS_PER_NODE=1). ffmpeg publishes over RTMP to media-1 (a child process), which hosts the
// stream. The first viewer is served there; the second by media-2, which runs in this test process so
// that its mediasoup objects can be looked at: the stream reaches it through a PipeTransport pair, and
// the second viewer's consumer sees the RTP arrive. The relay's pipe closes when that viewer leaves, and
// again (after a second watch) when the stream ends, whose `live:ended` reaches both viewers.

const PORTS = { host: [45500, 45999], relay: [46000, 46499] } as const;
const mediaEnv = (ports: readonly [number, number]) => ({ ROLES: 'media', MEDIA_WORKERS: '1', MEDIA_LISTEN_IP: '127.0.0.1', MEDIA_MIN_PORT: String(ports[0]), MEDIA_MAX_PORT: String(ports[1]), LIVE_VIEWERS_PER_NODE: '1' });

async function ok<T extends object>(device: Device, event: string, payload: unknown): Promise<T> {
	const ack = await device.request<T>(event, payload);
	if (!ack.ok) throw new Error(`${event}: ${JSON.stringify(ack.error)}`);
	return ack as T;
}

/** The mediasoup objects of this process (the relay, media-2): its pipe transports and consumers. */
function watchMediasoup() {
	const pipes: types.PipeTransport[] = [];
	const consumers = new Map<string, types.Consumer>();
	mediasoup.observer.on('newworker', (worker) =>
		worker.observer.on('newrouter', (router) =>
			router.observer.on('newtransport', (transport) => {
				if (transport.constructor.name === 'PipeTransport') pipes.push(transport as types.PipeTransport);
				transport.observer.on('newconsumer', (consumer) => consumers.set(consumer.id, consumer));
			})
		)
	);
	return { pipes, consumers };
}

/** The RTP the relay's copy of a producer received, as its consumer's stats tell it (the producer's stream). */
async function received(consumer: types.Consumer): Promise<{ bytes: number; packets: number }> {
	const inbound = (await consumer.getStats()).find((s) => s.type === 'inbound-rtp');
	return { bytes: inbound?.byteCount ?? 0, packets: inbound?.packetCount ?? 0 };
}

describeWithFfmpeg('a live stream piped to a second media node past the first one\'s viewers (postgres)', () => {
	let cluster: TestCluster;
	let relay: TestParley;
	const seen = watchMediasoup();
	const devices: Device[] = [];
	const publishers: TestPublisher[] = [];
	let a: Device, b: Device, c: Device;
	let group: Thread;
	let rtmpPort: number;

	beforeAll(async () => {
		cluster = await startCluster({ backend: 'postgres', nodes: 2 });
		rtmpPort = await freePort();
		await cluster.spawnNode('media-1', { ...mediaEnv(PORTS.host), RTMP_PORT: String(rtmpPort), RTMP_HOST: '127.0.0.1' });
		relay = await startParley('postgres', {
			redis: true,
			env: { ...mediaEnv(PORTS.relay), REDIS_PREFIX: cluster.prefix, NODE_HEARTBEAT_MS: String(cluster.heartbeatMs), NODE_ID: 'media-2', DATABASE_URL: cluster.gateway.database.url }
		});
		// Its worker started now rather than inside the request that opens the relay (which has 5 s).
		expect(await relay.parley.media!.workers()).not.toBeNull();
		await until(async () => (await cluster.redis.hexists(`${cluster.prefix}media:info`, 'media-2')) === 1, 'media-2 to register', 30_000);
		a = await userOn(cluster, 'chat-1', devices);
		b = await userOn(cluster, 'chat-2', devices);
		c = await userOn(cluster, 'chat-1', devices);
		devices.push(a, b, c);
		for (const other of [b, c]) {
			await ok(a, 'friends:request', { userId: other.login.user.id });
			await ok(other, 'friends:request', { userId: a.login.user.id });
		}
		group = (await ok<{ thread: Thread }>(a, 'groups:create', { title: 'Relayed', memberIds: [b.login.user.id, c.login.user.id] })).thread;
	}, 180_000);
	afterAll(async () => {
		for (const p of publishers) await p.stop();
		for (const d of devices) d.stop();
		await relay?.stop();
		await cluster?.stop();
	});

	/** Watches with a receive transport; returns the stream's producers as this viewer's node has them, and the transport's port. */
	async function watch(viewer: Device, liveId: string): Promise<{ producers: ProducerInfo[]; transport: TransportInfo; rtpCapabilities: unknown }> {
		await ok(viewer, 'live:watch', { liveId });
		const { rtpCapabilities } = await ok<{ rtpCapabilities: unknown }>(viewer, 'media:routerRtpCapabilities', { callId: liveId });
		const { transport } = await ok<{ transport: TransportInfo }>(viewer, 'media:createTransport', { callId: liveId, direction: 'recv' });
		await ok(viewer, 'media:connectTransport', { callId: liveId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
		let producers: ProducerInfo[] = [];
		await until(async () => (producers = (await ok<{ producers: ProducerInfo[] }>(viewer, 'media:producers', { callId: liveId })).producers).length === 2, `${viewer.name}: the audio and video producers`, 20_000, 200);
		return { producers, transport, rtpCapabilities };
	}

	const portOf = (transport: TransportInfo) => (transport.iceCandidates as Array<{ port: number }>)[0].port;
	const openPipes = () => seen.pipes.filter((p) => !p.closed);

	it('the first viewer on the host, the second on the other node, which receives the stream\'s RTP; its pipe closes when it is not needed', async () => {
		const { key } = await ok<LiveKeyRegenerateResponse>(a, 'live:key:regenerate', {});
		publishers.push(publish(`rtmp://127.0.0.1:${rtmpPort}/live/${group.id}/${key}`, { profile: 'baseline', seconds: 90 }));
		const { live } = (await waitEvent(b, 'live:started', (x) => x.live.threadId === group.id, 'the RTMP start', 20_000)) as { live: LiveInfo };

		const first = await watch(b, live.liveId);
		expect(portOf(first.transport)).toBeGreaterThanOrEqual(PORTS.host[0]);
		expect(portOf(first.transport)).toBeLessThanOrEqual(PORTS.host[1]);
		expect(openPipes()).toEqual([]);

		const second = await watch(c, live.liveId);
		expect(portOf(second.transport)).toBeGreaterThanOrEqual(PORTS.relay[0]);
		expect(portOf(second.transport)).toBeLessThanOrEqual(PORTS.relay[1]);
		expect(second.producers.map((p) => p.producerId).sort()).toEqual(first.producers.map((p) => p.producerId).sort());
		expect(openPipes()).toHaveLength(1);

		const video = second.producers.find((p) => p.kind === 'video')!;
		const { consumer } = await ok<{ consumer: ConsumerInfo }>(c, 'media:consume', { callId: live.liveId, transportId: second.transport.id, producerId: video.producerId, rtpCapabilities: second.rtpCapabilities });
		const relayed = seen.consumers.get(consumer.id);
		expect(relayed, 'the second viewer\'s consumer is on media-2').toBeDefined();
		let before = { bytes: 0, packets: 0 };
		await until(async () => (before = await received(relayed!)).packets > 0, 'RTP through the pipe', 20_000, 200);
		await until(async () => {
			const now = await received(relayed!);
			return now.packets > before.packets && now.bytes > before.bytes;
		}, 'RTP still arriving', 10_000, 200);
		await ok(c, 'media:resumeConsumer', { callId: live.liveId, consumerId: consumer.id });

		// The relay's last viewer leaves: its pipe closes, and with it the viewer's consumer.
		await ok(c, 'live:leave', { liveId: live.liveId });
		await until(() => openPipes().length === 0, 'the relay\'s pipe to close with its last viewer');
		expect(relayed!.closed).toBe(true);

		// Watching again pipes the stream again; ending the stream closes it, and everyone is told.
		await watch(c, live.liveId);
		expect(openPipes()).toHaveLength(1);
		await ok(a, 'live:end', { liveId: live.liveId });
		for (const viewer of [b, c]) expect((await waitEvent(viewer, 'live:ended', (x) => x.liveId === live.liveId, 'the end')).reason).toBe('ended');
		await until(() => openPipes().length === 0, 'the relay\'s pipe to close with the stream');
	}, 120_000);
});
