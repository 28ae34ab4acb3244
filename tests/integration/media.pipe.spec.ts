import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallInfo, ConsumerInfo, Thread, TransportInfo } from '../../src/lib/protocol/index.js';
import type { CallMedia } from '../../server/media/call-media.js';
import { befriend, Events, ok, people, type Person } from '../helpers/chat.js';
import { describeWithWorker, FAKE_DTLS, fakeRtpParameters, mediaEnv } from '../helpers/media.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md, "Group calls": a call outgrows its worker. Two workers, each planned for one
// consumer (MEDIA_WORKER_MAX_CONSUMERS=1): the third person of a group call is put on a router on the
// other worker, and what they receive from the first router is piped there (pipeToRouter), and back.
// When people leave, their transports and consumers go, and the extra router with the last of them.
describeWithWorker('a group call across two workers (sqlite)', () => {
	let t: TestParley;
	let a: Person, b: Person, c: Person;
	let group: Thread;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: { ...mediaEnv(), MEDIA_WORKERS: '2', MEDIA_WORKER_MAX_CONSUMERS: '1' }, parley: { limits: { codesPerIp: 10_000 } } });
		[a, b, c] = await people(t, 3);
		await befriend(a, b);
		await befriend(a, c);
		group = (await ok<{ thread: Thread }>(a.socket, 'groups:create', { title: 'Pipes', memberIds: [b.user.id, c.user.id] })).thread;
	});
	afterAll(async () => t?.stop());

	async function transport(who: Person, callId: string, direction: 'send' | 'recv'): Promise<TransportInfo> {
		const { transport } = await ok<{ transport: TransportInfo }>(who.socket, 'media:createTransport', { callId, direction });
		await ok(who.socket, 'media:connectTransport', { callId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
		return transport;
	}

	async function consume(who: Person, callId: string, transportId: string, producerId: string): Promise<ConsumerInfo> {
		const { rtpCapabilities } = await ok<{ rtpCapabilities: unknown }>(who.socket, 'media:routerRtpCapabilities', { callId });
		return (await ok<{ consumer: ConsumerInfo }>(who.socket, 'media:consume', { callId, transportId, producerId, rtpCapabilities })).consumer;
	}

	const camera = (ssrc: number) => ({ kind: 'video', rtpParameters: fakeRtpParameters('video', ssrc), appData: { source: 'camera' } });

	it('the third person lands on the other worker; cameras are piped both ways; leaving closes what they had', async () => {
		const pool = (await t.parley.media!.workers())!;
		const events = [a, b, c].map((p) => new Events(p.socket, ['media:producerClosed', 'call:ended']));
		const { call } = await ok<{ call: CallInfo }>(a.socket, 'call:invite', { threadId: group.id, video: true });
		const media = (await t.parley.media!.calls!.registry.get(call.callId)!.media) as CallMedia;

		const aSend = await transport(a, call.callId, 'send');
		const { producerId: fromA } = await ok<{ producerId: string }>(a.socket, 'media:produce', { callId: call.callId, transportId: aSend.id, ...camera(101) });
		await ok(b.socket, 'call:join', { callId: call.callId });
		const bRecv = await transport(b, call.callId, 'recv');
		await consume(b, call.callId, bRecv.id, fromA);
		expect(media.routers).toBe(1);
		expect(pool.loadsByWorker().sort()).toEqual([0, 1]);

		// C needs one more consumer: the first worker is at its one, so C goes to the other.
		await ok(c.socket, 'call:join', { callId: call.callId });
		const cRecv = await transport(c, call.callId, 'recv');
		expect(media.routers).toBe(2);
		expect((await consume(c, call.callId, cRecv.id, fromA)).producerId).toBe(fromA);
		// The first worker carries B's consumer and the pipe's; the second C's.
		expect(pool.loadsByWorker().sort()).toEqual([1, 2]);

		// And back: C's camera (on the second router) reaches A (on the first).
		const cSend = await transport(c, call.callId, 'send');
		const { producerId: fromC } = await ok<{ producerId: string }>(c.socket, 'media:produce', { callId: call.callId, transportId: cSend.id, ...camera(303) });
		const aRecv = await transport(a, call.callId, 'recv');
		expect((await consume(a, call.callId, aRecv.id, fromC)).producerId).toBe(fromC);
		// A second consumer of an already piped producer pipes nothing more.
		const before = pool.loadsByWorker().reduce((x, y) => x + y, 0);
		expect((await consume(b, call.callId, bRecv.id, fromC)).producerId).toBe(fromC);
		expect(pool.loadsByWorker().reduce((x, y) => x + y, 0)).toBe(before + 1);
		expect(media.transports).toBe(5); // A: send and recv; B: recv; C: recv and send

		// C leaves: A and B hear C's camera is gone; C's transports, consumers and router close.
		await ok(c.socket, 'call:hangup', { callId: call.callId });
		for (const e of events.slice(0, 2)) await e.next('media:producerClosed', (p) => p.producerId === fromC);
		await expect.poll(() => media.routers).toBe(1);
		expect(media.transports).toBe(3);
		await expect.poll(() => pool.loadsByWorker().sort()).toEqual([0, 1]);

		await ok(b.socket, 'call:hangup', { callId: call.callId });
		await ok(a.socket, 'call:hangup', { callId: call.callId });
		await events[0].next('call:ended', (p) => p.callId === call.callId);
		await expect.poll(() => pool.loadsByWorker()).toEqual([0, 0]);
		expect(media.transports).toBe(0);
	});
});
