import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallInfo, ConsumerInfo, Message, ProducerInfo, Thread, ThreadsListResponse, TransportInfo } from '../../src/lib/protocol/index.js';
import { until, startCluster, type ChatChild, type TestCluster } from '../helpers/cluster.js';
import { Device, userOn, waitEvent } from '../helpers/cluster-device.js';
import { describeWithWorker, FAKE_DTLS, fakeRtpParameters } from '../helpers/media.js';

// docs/PROTOCOL.md, "Calls across nodes": chat nodes pass every call request to the media node that
// hosts the call's router (ROLES=media, its own process), over Redis. People on three different chat
// nodes call each other 1:1 and in a group; the least-loaded media node takes a new call; a media node
// killed with -9 ends its calls with `media_lost` for everyone; a chat node killed drops its people; a
// media node on SIGTERM takes no new calls and ends its running ones at the drain timeout.
// Each media node gets its own port range, so a transport's ICE candidate tells which node hosts it.

const RANGES: Record<string, [number, number]> = { 'media-1': [43000, 43499], 'media-2': [43500, 43999], 'media-3': [44000, 44499] };

function mediaNodeEnv(name: string): Record<string, string> {
	const [min, max] = RANGES[name];
	return { ROLES: 'media', DRAIN_TIMEOUT_MS: '3000', MEDIA_WORKERS: '1', MEDIA_LISTEN_IP: '127.0.0.1', MEDIA_MIN_PORT: String(min), MEDIA_MAX_PORT: String(max), CALL_RING_TIMEOUT_MS: '20000' };
}

function hostOf(transport: TransportInfo): string {
	const port = (transport.iceCandidates as Array<{ port: number }>)[0].port;
	const found = Object.entries(RANGES).find(([, [min, max]]) => port >= min && port <= max);
	return found ? found[0] : `no media node has port ${port}`;
}

async function ok<T extends object>(device: Device, event: string, payload: unknown): Promise<T> {
	const ack = await device.request<T>(event, payload);
	if (!ack.ok) throw new Error(`${event}: ${JSON.stringify(ack.error)}`);
	return ack as T;
}

const eventsOf = (device: Device, event: string, match: (p: any) => boolean = () => true) => device.events.filter((e) => e.event === event && match(e.payload)).map((e) => e.payload);

/** The first `event` matching, among those after the `after`-th event the device got (default: any). */

async function befriend(a: Device, b: Device): Promise<Thread> {
	await ok(a, 'friends:request', { userId: b.login.user.id });
	await ok(b, 'friends:request', { userId: a.login.user.id });
	const { threads } = await ok<ThreadsListResponse>(a, 'threads:list', { limit: 100 });
	const thread = threads.find((t) => t.kind === 'private' && t.peer?.id === b.login.user.id);
	if (!thread) throw new Error('no private thread after befriending');
	return thread;
}

/** Transports on the call's router, a camera producer from `from`; resolves with its send transport. */
async function sendCamera(from: Device, callId: string, ssrc: number): Promise<{ transport: TransportInfo; producerId: string }> {
	const { transport } = await ok<{ transport: TransportInfo }>(from, 'media:createTransport', { callId, direction: 'send' });
	await ok(from, 'media:connectTransport', { callId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
	const { producerId } = await ok<{ producerId: string }>(from, 'media:produce', { callId, transportId: transport.id, kind: 'video', rtpParameters: fakeRtpParameters('video', ssrc), appData: { source: 'camera' } });
	return { transport, producerId };
}

async function consume(to: Device, callId: string, producerId: string): Promise<ConsumerInfo> {
	const { rtpCapabilities } = await ok<{ rtpCapabilities: unknown }>(to, 'media:routerRtpCapabilities', { callId });
	const { transport } = await ok<{ transport: TransportInfo }>(to, 'media:createTransport', { callId, direction: 'recv' });
	await ok(to, 'media:connectTransport', { callId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
	const { consumer } = await ok<{ consumer: ConsumerInfo }>(to, 'media:consume', { callId, transportId: transport.id, producerId, rtpCapabilities });
	return consumer;
}

const callLines = (device: Device, threadId: string): Message[] => device.thread(threadId).filter((m) => m.kind === 'call');

describeWithWorker('calls across three chat nodes and media nodes of their own (postgres)', () => {
	let cluster: TestCluster;
	const devices: Device[] = [];
	let a: Device, b: Device, c: Device, d: Device;
	let group: Thread;
	let pairAB: Thread;
	let pairCD: Thread;

	beforeAll(async () => {
		cluster = await startCluster({ backend: 'postgres', nodes: 3 });
		await cluster.spawnNode('media-1', mediaNodeEnv('media-1'));
		a = await userOn(cluster, 'chat-1', devices);
		b = await userOn(cluster, 'chat-2', devices);
		c = await userOn(cluster, 'chat-3', devices);
		d = await userOn(cluster, 'chat-1', devices);
		devices.push(a, b, c, d);
		pairAB = await befriend(a, b);
		pairCD = await befriend(c, d);
		await befriend(a, c);
		const created = await ok<{ thread: Thread }>(a, 'groups:create', { title: 'Standup', memberIds: [b.login.user.id, c.login.user.id] });
		group = created.thread;
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	it('a 1:1 call between two chat nodes: ring, accept, media through the media node, hang-up and the line', async () => {
		expect([a.node, b.node]).toEqual(['chat-1', 'chat-2']);
		const { call } = await ok<{ call: CallInfo }>(a, 'call:invite', { threadId: pairAB.id, video: true });
		const ring = await waitEvent(b, 'call:ring', (p) => p.call.callId === call.callId, 'the ring');
		expect(ring.call.state).toBe('ringing');
		await ok(b, 'call:accept', { callId: call.callId });
		await waitEvent(a, 'call:accepted', (p) => p.call.callId === call.callId, 'the answer');

		const { transport, producerId } = await sendCamera(a, call.callId, 5001);
		expect(hostOf(transport)).toBe('media-1');
		const announced = await waitEvent(b, 'media:newProducer', (p) => p.callId === call.callId, 'the producer, across nodes');
		expect((announced.producer as ProducerInfo).producerId).toBe(producerId);
		const consumer = await consume(b, call.callId, producerId);
		expect(consumer).toMatchObject({ producerId, kind: 'video', source: 'camera' });
		// Someone else's request about the call: as for a call that does not exist.
		const stranger = await c.request('media:producers', { callId: call.callId });
		expect(stranger.ok ? 'ok' : stranger.error.code).toBe('not_found');

		await ok(a, 'call:hangup', { callId: call.callId });
		const ended = await waitEvent(b, 'call:ended', (p) => p.callId === call.callId, 'the end');
		expect(ended.reason).toBe('hangup');
		await until(() => callLines(b, pairAB.id).length === 1, 'the call line on the other node');
		expect(callLines(b, pairAB.id)[0].call).toMatchObject({ callKind: 'video', outcome: 'completed' });
	});

	it('a group call across three chat nodes: join, see each other, leave; the line counts the people', async () => {
		const { call } = await ok<{ call: CallInfo }>(a, 'call:invite', { threadId: group.id, video: true });
		expect(call).toMatchObject({ group: true, state: 'active' });
		await waitEvent(b, 'call:ring', (p) => p.call.callId === call.callId, 'the group ring');
		await waitEvent(c, 'call:updated', (p) => p.call.callId === call.callId, 'the call in progress');
		const active = await ok<{ calls: CallInfo[] }>(c, 'call:active', {});
		expect(active.calls.map((x) => x.callId)).toEqual([call.callId]);

		const { producerId: fromA } = await sendCamera(a, call.callId, 6001);
		await ok(b, 'call:join', { callId: call.callId });
		const joined = await ok<{ call: CallInfo }>(c, 'call:join', { callId: call.callId });
		expect(joined.call.participants.map((p) => p.userId).sort()).toEqual([a, b, c].map((d) => d.login.user.id).sort());
		await waitEvent(a, 'call:updated', (p) => p.call.callId === call.callId && p.call.participants.length === 3, 'three participants');

		// A's camera reaches B and C; C's reaches A and B: every node to every node through media-1.
		const { producerId: fromC } = await sendCamera(c, call.callId, 6003);
		for (const d of [a, b]) await waitEvent(d, 'media:newProducer', (p) => p.producer.producerId === fromC, "C's camera");
		for (const d of [b, c]) expect((await consume(d, call.callId, fromA)).producerId).toBe(fromA);
		const listed = await ok<{ producers: ProducerInfo[] }>(b, 'media:producers', { callId: call.callId });
		expect(listed.producers.map((p) => p.producerId).sort()).toEqual([fromA, fromC].sort());

		await ok(c, 'call:hangup', { callId: call.callId });
		await waitEvent(a, 'call:updated', (p) => p.call.callId === call.callId && p.call.participants.length === 2, 'C gone');
		await waitEvent(b, 'media:producerClosed', (p) => p.producerId === fromC, "C's camera closed");
		await ok(b, 'call:hangup', { callId: call.callId });
		await ok(a, 'call:hangup', { callId: call.callId });
		for (const d of [a, b, c]) await waitEvent(d, 'call:ended', (p) => p.callId === call.callId, 'the end of the group call');
		await until(() => callLines(c, group.id).length === 1, 'the group call line');
		expect(callLines(c, group.id)[0].call).toMatchObject({ outcome: 'completed', people: 3 });
		expect(callLines(c, group.id)[0].text).toMatch(/^Group call, .*, 3 people$/);
	});

	it('a new call goes to the least-loaded media node', async () => {
		await cluster.spawnNode('media-2', mediaNodeEnv('media-2'));
		// A call on one node with a consumer: that node carries load, the other none.
		const first = (await ok<{ call: CallInfo }>(a, 'call:invite', { threadId: group.id, video: true })).call;
		const { transport, producerId } = await sendCamera(a, first.callId, 7001);
		await ok(b, 'call:join', { callId: first.callId });
		await consume(b, first.callId, producerId);
		const busy = hostOf(transport);
		const idle = busy === 'media-1' ? 'media-2' : 'media-1';
		// The load is read from the heartbeat (every second).
		await until(async () => Number(JSON.parse((await cluster.redis.hget(`${cluster.prefix}media:info`, busy)) ?? '{}').load ?? 0) > 0, `${busy} to report its load`, 10_000, 100);

		// C and D are in no call: theirs goes to the idle node.
		const c2 = (await ok<{ call: CallInfo }>(c, 'call:invite', { threadId: pairCD.id, video: false })).call;
		const { transport: t2 } = await ok<{ transport: TransportInfo }>(c, 'media:createTransport', { callId: c2.callId, direction: 'send' });
		expect(hostOf(t2)).toBe(idle);
		await ok(c, 'call:hangup', { callId: c2.callId });
		await ok(a, 'call:hangup', { callId: first.callId });
		await ok(b, 'call:hangup', { callId: first.callId });
		await waitEvent(a, 'call:ended', (p) => p.callId === first.callId, 'the end');
	});

	it('a media node killed with -9: everyone in its calls gets media_lost within seconds; the next call lands on a live node', async () => {
		const { call } = await ok<{ call: CallInfo }>(a, 'call:invite', { threadId: group.id, video: true });
		const { transport } = await sendCamera(a, call.callId, 8001);
		await ok(b, 'call:join', { callId: call.callId });
		await ok(c, 'call:join', { callId: call.callId });
		const host = cluster.nodes.get(hostOf(transport)) as ChatChild;
		const killedAt = Date.now();
		host.process.kill('SIGKILL');
		await host.exited;
		for (const d of [a, b, c]) {
			const ended = await waitEvent(d, 'call:ended', (p) => p.callId === call.callId, 'media_lost', 15_000);
			expect(ended.reason).toBe('media_lost');
		}
		// Dead after 3 s without a beat, seen within the chat nodes' 1 s watch: well under 10 s.
		expect(Date.now() - killedAt).toBeLessThan(10_000);
		await until(() => callLines(a, group.id).filter((m) => m.clientId === call.callId).length === 1, 'the line of the lost call');

		// The people are free again, and a new call goes to the node still alive.
		const again = (await ok<{ call: CallInfo }>(b, 'call:invite', { threadId: group.id, video: false })).call;
		const { transport: t2 } = await ok<{ transport: TransportInfo }>(b, 'media:createTransport', { callId: again.callId, direction: 'send' });
		expect(hostOf(t2)).not.toBe(host.name);
		await ok(b, 'call:hangup', { callId: again.callId });
	});

	it('a chat node killed with -9: its people drop out of the group call, the others go on', async () => {
		const { call } = await ok<{ call: CallInfo }>(a, 'call:invite', { threadId: group.id, video: true });
		await ok(b, 'call:join', { callId: call.callId });
		await ok(c, 'call:join', { callId: call.callId });
		await waitEvent(a, 'call:updated', (p) => p.call.callId === call.callId && p.call.participants.length === 3, 'three in');
		// C's device is on chat-3; killed, it cannot say C left: the media node sees chat-3's beats stop.
		expect(c.node).toBe('chat-3');
		const node = cluster.nodes.get('chat-3')!;
		const before = a.events.length;
		node.process.kill('SIGKILL');
		await node.exited;
		const dropped = await waitEvent(a, 'call:updated', (p) => p.call.callId === call.callId, 'C dropped', 15_000, before);
		expect(dropped.call.participants.map((p: { userId: string }) => p.userId).sort()).toEqual([a, b].map((x) => x.login.user.id).sort());
		const active = await ok<{ calls: CallInfo[] }>(b, 'call:active', {});
		expect(active.calls.find((x) => x.callId === call.callId)?.participants.map((p) => p.userId).sort()).toEqual([a, b].map((d) => d.login.user.id).sort());
		await ok(a, 'call:hangup', { callId: call.callId });
		await ok(b, 'call:hangup', { callId: call.callId });
	});

	it('SIGTERM on a media node: it takes no new calls, its running call goes on until DRAIN_TIMEOUT_MS, then ends with media_lost', async () => {
		const live = [...cluster.nodes.values()].filter((n) => n.name.startsWith('media-') && n.alive());
		expect(live).toHaveLength(1);
		const [host] = live;
		// A call on the old node, started while it is the only one; then a fresh node beside it.
		const { call } = await ok<{ call: CallInfo }>(a, 'call:invite', { threadId: group.id, video: false });
		const { transport } = await ok<{ transport: TransportInfo }>(a, 'media:createTransport', { callId: call.callId, direction: 'send' });
		await ok(b, 'call:join', { callId: call.callId });
		const fresh = await cluster.spawnNode('media-3', mediaNodeEnv('media-3'));
		const drainedAt = Date.now();
		host.process.kill('SIGTERM');
		await until(async () => JSON.parse((await cluster.redis.hget(`${cluster.prefix}media:info`, host.name)) ?? '{}').draining === true, `${host.name} to say it drains`, 5_000, 50);
		// Three new calls in a row: each on the fresh node.
		for (let i = 0; i < 3; i++) {
			const next = (await ok<{ call: CallInfo }>(c, 'call:invite', { threadId: pairCD.id, video: false })).call;
			const { transport: t2 } = await ok<{ transport: TransportInfo }>(c, 'media:createTransport', { callId: next.callId, direction: 'send' });
			expect(hostOf(t2)).toBe(fresh.name);
			await ok(c, 'call:hangup', { callId: next.callId });
		}
		// The running call still answers on the draining node…
		expect(hostOf(transport)).toBe(host.name);
		expect((await ok<{ producers: unknown[] }>(b, 'media:producers', { callId: call.callId })).producers).toEqual([]);
		// …until the drain timeout (3 s here) ends it, and the node exits cleanly.
		const ended = await waitEvent(a, 'call:ended', (p) => p.callId === call.callId, 'the end at the drain timeout', 15_000);
		expect(ended.reason).toBe('media_lost');
		expect(Date.now() - drainedAt).toBeGreaterThanOrEqual(2_500);
		expect((await host.exited).code).toBe(0);
	});
});
