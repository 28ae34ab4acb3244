import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallInfo, ConsumerInfo, ProducerInfo, Thread, TransportInfo } from '../../src/lib/protocol/index.js';
import { befriend, device, Events, fails, ok, people, type Person } from '../helpers/chat.js';
import { describeWithWorker, FAKE_DTLS, fakeRtpParameters, mediaEnv } from '../helpers/media.js';
import type { ClientSocket } from '../helpers/parley.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md, "Group calls": in one process (the default), against the real worker. Small limits
// (3 people, 2 cameras) so the refusals can be reached with a few sockets.
const EVENTS = ['call:ring', 'call:updated', 'call:ended', 'media:newProducer', 'media:producerClosed'] as const;

describeWithWorker('group calls in one process (sqlite)', () => {
	let t: TestParley;
	let a: Person, b: Person, c: Person, d: Person, outsider: Person;
	let group: Thread;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: { ...mediaEnv(), CALL_MAX_PARTICIPANTS: '3', CALL_MAX_VIDEO: '2' }, parley: { limits: { codesPerIp: 10_000 } } });
		[a, b, c, d, outsider] = await people(t, 5);
		for (const p of [b, c, d]) await befriend(a, p);
		group = (await ok<{ thread: Thread }>(a.socket, 'groups:create', { title: 'Calls', memberIds: [b.user.id, c.user.id, d.user.id] })).thread;
	});
	afterAll(async () => t?.stop());

	async function sendCamera(socket: ClientSocket, callId: string, ssrc: number): Promise<string | { code: string }> {
		const { transport } = await ok<{ transport: TransportInfo }>(socket, 'media:createTransport', { callId, direction: 'send' });
		await ok(socket, 'media:connectTransport', { callId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
		const ack = await (socket.timeout(10_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<any> }).emitWithAck('media:produce', {
			callId,
			transportId: transport.id,
			kind: 'video',
			rtpParameters: fakeRtpParameters('video', ssrc),
			appData: { source: 'camera' }
		});
		return ack.ok ? ack.producerId : ack.error;
	}

	it('start, ring, join, the limits, layers and pause, a move between devices, leave, and the line', async () => {
		const [ea, eb, ec, ed] = [a, b, c, d].map((p) => new Events(p.socket, [...EVENTS]));
		const eo = new Events(outsider.socket, [...EVENTS]);
		const { call } = await ok<{ call: CallInfo }>(a.socket, 'call:invite', { threadId: group.id, video: true });
		expect(call).toMatchObject({ group: true, state: 'active', calleeId: '' });
		expect(call.participants.map((p) => p.userId)).toEqual([a.user.id]);
		for (const e of [eb, ec, ed]) {
			expect((await e.next('call:ring')).call.callId).toBe(call.callId);
			await e.next('call:updated', (p) => p.call.callId === call.callId);
		}
		expect(await eo.none('call:ring')).toBe(true);
		expect((await ok<{ calls: CallInfo[] }>(d.socket, 'call:active', {})).calls.map((x) => x.callId)).toEqual([call.callId]);
		expect((await ok<{ calls: CallInfo[] }>(outsider.socket, 'call:active', {})).calls).toEqual([]);
		await fails(outsider.socket, 'call:join', { callId: call.callId }, 'not_found');
		// A second invite into the thread joins the running call instead of starting one.
		const again = await ok<{ call: CallInfo }>(b.socket, 'call:invite', { threadId: group.id, video: true });
		expect(again.call.callId).toBe(call.callId);
		expect(again.call.participants).toHaveLength(2);

		// Declining only stops one's own ringing; the call goes on.
		await ok(d.socket, 'call:decline', { callId: call.callId });
		expect((await ed.next('call:ended', (p) => p.callId === call.callId)).reason).toBe('declined');
		expect(await ea.none('call:ended', () => true, 200)).toBe(true);

		// Three people at most; two cameras at most.
		await ok(c.socket, 'call:join', { callId: call.callId });
		await fails(d.socket, 'call:join', { callId: call.callId }, 'conflict');
		const fromA = await sendCamera(a.socket, call.callId, 11);
		const fromB = await sendCamera(b.socket, call.callId, 22);
		expect(typeof fromA).toBe('string');
		expect(typeof fromB).toBe('string');
		expect(await sendCamera(c.socket, call.callId, 33)).toMatchObject({ code: 'conflict' });

		// C receives A's camera: layers by tile size, paused while off screen.
		const { rtpCapabilities } = await ok<{ rtpCapabilities: unknown }>(c.socket, 'media:routerRtpCapabilities', { callId: call.callId });
		const { transport: recv } = await ok<{ transport: TransportInfo }>(c.socket, 'media:createTransport', { callId: call.callId, direction: 'recv' });
		await ok(c.socket, 'media:connectTransport', { callId: call.callId, transportId: recv.id, dtlsParameters: FAKE_DTLS });
		const { consumer } = await ok<{ consumer: ConsumerInfo }>(c.socket, 'media:consume', { callId: call.callId, transportId: recv.id, producerId: fromA, rtpCapabilities });
		await ok(c.socket, 'media:resumeConsumer', { callId: call.callId, consumerId: consumer.id });
		await ok(c.socket, 'media:setPreferredLayers', { callId: call.callId, consumerId: consumer.id, spatialLayer: 0 });
		await fails(c.socket, 'media:setPreferredLayers', { callId: call.callId, consumerId: consumer.id, spatialLayer: 7 }, 'invalid_input');
		await fails(b.socket, 'media:setPreferredLayers', { callId: call.callId, consumerId: consumer.id, spatialLayer: 0 }, 'not_found');
		await ok(c.socket, 'media:pauseConsumer', { callId: call.callId, consumerId: consumer.id });
		await fails(a.socket, 'media:pauseConsumer', { callId: call.callId, consumerId: consumer.id }, 'not_found');

		// B joins from a second device: the first is told `moved`, B's old camera closes for the others.
		const phone = await device(t, b);
		const moved = await ok<{ call: CallInfo }>(phone, 'call:join', { callId: call.callId });
		expect(moved.call.participants).toHaveLength(3);
		expect((await eb.next('call:ended', (p) => p.callId === call.callId)).reason).toBe('moved');
		for (const e of [ea, ec]) await e.next('media:producerClosed', (p) => p.producerId === fromB);
		await fails(b.socket, 'media:producers', { callId: call.callId }, 'conflict');
		const { producers } = await ok<{ producers: ProducerInfo[] }>(phone, 'media:producers', { callId: call.callId });
		expect(producers.map((p) => p.producerId)).toEqual([fromA]);
		const fromPhone = await sendCamera(phone, call.callId, 44);
		for (const e of [ea, ec]) await e.next('media:newProducer', (p) => p.producer.producerId === fromPhone);

		// Everyone leaves; the last one ends it, and the line counts three people.
		await ok(c.socket, 'call:hangup', { callId: call.callId });
		expect((await ea.next('call:updated', (p) => p.call.callId === call.callId && p.call.participants.length === 2)).call.participants.map((p) => p.userId).sort()).toEqual([a.user.id, b.user.id].sort());
		await ok(phone, 'call:hangup', { callId: call.callId });
		await ok(a.socket, 'call:hangup', { callId: call.callId });
		for (const e of [ea, ec, ed]) expect((await e.next('call:ended', (p) => p.callId === call.callId && p.reason === 'hangup')).summary).toMatchObject({ outcome: 'completed', people: 3 });
		const history = await ok<{ messages: Array<{ kind: string; text: string; clientId: string }> }>(d.socket, 'messages:list', { threadId: group.id, afterSeq: 0, limit: 100 });
		const stored = history.messages.filter((m) => m.kind === 'call' && m.clientId === call.callId);
		expect(stored).toHaveLength(1);
		expect(stored[0].text).toMatch(/^Group call, \d+:\d\d, 3 people$/);
		phone.disconnect();
	});
});
