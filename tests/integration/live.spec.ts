import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConsumerInfo, LiveInfo, Message, ProducerInfo, Thread, TransportInfo } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, device, Events, fails, ok, people, type Person } from '../helpers/chat.js';
import { describeWithWorker, FAKE_DTLS, fakeRtpParameters, mediaEnv } from '../helpers/media.js';
import type { ClientSocket } from '../helpers/parley.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md, "Live streams (extension)", against the real mediasoup worker on every database
// (and Redis with TEST_REDIS=1): start, watch, the viewer count, outsiders, a viewer that tries to
// send, one stream per thread and per streamer, the end and its line, a streamer that drops, and
// `live:active` after a reconnect. The RTMP handover is in live.rtmp.spec.ts.
const EVENTS = ['live:started', 'live:updated', 'live:ended', 'media:newProducer', 'message:new'] as const;
const redis = !!process.env.TEST_REDIS && process.env.TEST_REDIS !== '0';

for (const backend of backendNames()) {
	describeWithWorker(`live streams on ${backend}${redis ? ' + redis' : ''}`, () => {
		let t: TestParley;
		let a: Person, b: Person, c: Person, outsider: Person;
		let group: Thread;

		beforeAll(async () => {
			t = await startParley(backend, { redis, env: mediaEnv(), parley: { limits: { codesPerIp: 10_000 } } });
			[a, b, c, outsider] = await people(t, 4);
			for (const p of [b, c]) await befriend(a, p);
			group = (await ok<{ thread: Thread }>(a.socket, 'groups:create', { title: 'Live', memberIds: [b.user.id, c.user.id] })).thread;
		});
		afterAll(async () => t?.stop());

		async function produce(socket: ClientSocket, liveId: string, kind: 'audio' | 'video', ssrc: number, transportId?: string): Promise<{ producerId: string; transportId: string }> {
			let id = transportId;
			if (!id) {
				const { transport } = await ok<{ transport: TransportInfo }>(socket, 'media:createTransport', { callId: liveId, direction: 'send' });
				await ok(socket, 'media:connectTransport', { callId: liveId, transportId: transport.id, dtlsParameters: FAKE_DTLS });
				id = transport.id;
			}
			const { producerId } = await ok<{ producerId: string }>(socket, 'media:produce', {
				callId: liveId,
				transportId: id,
				kind,
				rtpParameters: fakeRtpParameters(kind, ssrc),
				appData: { source: kind === 'video' ? 'camera' : 'mic' }
			});
			return { producerId, transportId: id };
		}

		const lines = async (who: Person, liveId: string) =>
			(await ok<{ messages: Message[] }>(who.socket, 'messages:list', { threadId: group.id, afterSeq: 0, limit: 100 })).messages.filter((m) => m.kind === 'live' && m.clientId === liveId);

		it('start, watch and consume, the viewer count, outsiders, a viewer cannot send, one stream per thread and per person, the end and its line', async () => {
			const [ea, eb, ec] = [a, b, c].map((p) => new Events(p.socket, [...EVENTS]));
			const eo = new Events(outsider.socket, [...EVENTS]);
			await fails(a.socket, 'live:start', { threadId: group.id, source: 'rtmp' }, 'invalid_input');
			await fails(outsider.socket, 'live:start', { threadId: group.id, source: 'camera' }, 'not_found');
			const { live } = await ok<{ live: LiveInfo }>(a.socket, 'live:start', { threadId: group.id, source: 'camera' });
			expect(live).toMatchObject({ threadId: group.id, streamerId: a.user.id, source: 'camera', viewers: 0, state: 'live' });
			for (const e of [ea, eb, ec]) expect((await e.next('live:started', (p) => p.live.liveId === live.liveId)).streamer.id).toBe(a.user.id);

			// Outsiders see nothing and can do nothing.
			await fails(outsider.socket, 'live:watch', { liveId: live.liveId }, 'not_found');
			await fails(outsider.socket, 'live:end', { liveId: live.liveId }, 'not_found');
			await fails(outsider.socket, 'media:producers', { callId: live.liveId }, 'not_found');
			expect((await ok<{ streams: LiveInfo[] }>(outsider.socket, 'live:active', {})).streams).toEqual([]);

			// One stream per thread; the streamer streams once.
			expect((await fails(c.socket, 'live:start', { threadId: group.id, source: 'screen' }, 'conflict')).fields?.liveId).toBe(live.liveId);
			const pair = (await ok<{ thread: Thread }>(a.socket, 'threads:open', { userId: b.user.id })).thread;
			await fails(a.socket, 'live:start', { threadId: pair.id, source: 'screen' }, 'conflict');

			// The streamer sends a camera and a microphone.
			const video = await produce(a.socket, live.liveId, 'video', 1111);
			const audio = await produce(a.socket, live.liveId, 'audio', 2222, video.transportId);

			// B watches: the count goes to every member; B consumes both.
			await fails(b.socket, 'media:producers', { callId: live.liveId }, 'conflict');
			expect((await ok<{ live: LiveInfo }>(b.socket, 'live:watch', { liveId: live.liveId })).live.viewers).toBe(1);
			for (const e of [ea, eb, ec]) await e.next('live:updated', (p) => p.live.liveId === live.liveId && p.live.viewers === 1);
			await fails(a.socket, 'live:watch', { liveId: live.liveId }, 'invalid_input');
			const { producers } = await ok<{ producers: ProducerInfo[] }>(b.socket, 'media:producers', { callId: live.liveId });
			expect(producers.map((p) => p.producerId).sort()).toEqual([video.producerId, audio.producerId].sort());
			const { rtpCapabilities } = await ok<{ rtpCapabilities: unknown }>(b.socket, 'media:routerRtpCapabilities', { callId: live.liveId });
			const { transport: recv } = await ok<{ transport: TransportInfo }>(b.socket, 'media:createTransport', { callId: live.liveId, direction: 'recv' });
			await ok(b.socket, 'media:connectTransport', { callId: live.liveId, transportId: recv.id, dtlsParameters: FAKE_DTLS });
			for (const p of producers) {
				const { consumer } = await ok<{ consumer: ConsumerInfo }>(b.socket, 'media:consume', { callId: live.liveId, transportId: recv.id, producerId: p.producerId, rtpCapabilities });
				expect(consumer).toMatchObject({ producerId: p.producerId, kind: p.kind });
				await ok(b.socket, 'media:resumeConsumer', { callId: live.liveId, consumerId: consumer.id });
			}
			expect(t.parley.media?.liveStreams?.size).toBe(1);

			// A viewer cannot send.
			await fails(b.socket, 'media:createTransport', { callId: live.liveId, direction: 'send' }, 'forbidden');
			await fails(b.socket, 'media:produce', { callId: live.liveId, transportId: recv.id, kind: 'video', rtpParameters: fakeRtpParameters('video', 3333), appData: { source: 'camera' } }, 'forbidden');

			// C watches on two devices: one viewer. C's second device takes over.
			await ok(c.socket, 'live:watch', { liveId: live.liveId });
			await ea.next('live:updated', (p) => p.live.viewers === 2);
			const c2 = await device(t, c);
			expect((await ok<{ live: LiveInfo }>(c2, 'live:watch', { liveId: live.liveId })).live.viewers).toBe(2);
			await fails(c.socket, 'media:producers', { callId: live.liveId }, 'conflict');
			expect((await ok<{ producers: ProducerInfo[] }>(c2, 'media:producers', { callId: live.liveId })).producers).toHaveLength(2);
			expect((await ok<{ streams: LiveInfo[] }>(c.socket, 'live:active', {})).streams).toMatchObject([{ liveId: live.liveId, viewers: 2 }]);

			// B leaves: the count drops; nobody else may end it.
			ea.clear();
			await ok(b.socket, 'live:leave', { liveId: live.liveId });
			await ok(b.socket, 'live:leave', { liveId: live.liveId });
			expect((await ea.next('live:updated')).live.viewers).toBe(1);
			await fails(c2, 'live:end', { liveId: live.liveId }, 'forbidden');

			// The streamer ends it: every member is told, the line is written once, and it is not unread.
			await ok(c.socket, 'messages:send', { threadId: group.id, clientId: crypto.randomUUID(), text: 'great stream' });
			const unreadBefore = (await ok<{ thread: Thread }>(b.socket, 'threads:get', { threadId: group.id })).thread.unread;
			await ok(a.socket, 'live:end', { liveId: live.liveId });
			for (const e of [ea, eb, ec]) expect(await e.next('live:ended', (p) => p.liveId === live.liveId)).toMatchObject({ reason: 'ended', threadId: group.id, summary: { peakViewers: 2 } });
			const line = (await eb.next('message:new', (p) => p.message.kind === 'live')).message;
			expect(line).toMatchObject({ clientId: live.liveId, senderId: a.user.id, live: { peakViewers: 2 } });
			expect(line.text).toMatch(/^Live, 0:0\d, 2 viewers at most$/);
			await fails(a.socket, 'live:end', { liveId: live.liveId }, 'not_found');
			expect(await lines(b, live.liveId)).toHaveLength(1);
			expect((await ok<{ thread: Thread }>(b.socket, 'threads:get', { threadId: group.id })).thread.unread).toBe(unreadBefore);
			// Nor does it mark read, for the streamer, what the others wrote during the stream.
			const mine = (await ok<{ thread: Thread }>(a.socket, 'threads:get', { threadId: group.id })).thread;
			expect(mine.readSeq).toBeLessThan(line.seq);
			expect(mine.unread).toBeGreaterThan(0);
			expect((await ok<{ streams: LiveInfo[] }>(b.socket, 'live:active', {})).streams).toEqual([]);
			expect(await eo.none('live:started', () => true, 100)).toBe(true);
			expect(eo.log).toEqual([]);
			expect(t.parley.media?.liveStreams?.size).toBe(0);
			c2.disconnect();
		});

		it("the streamer's socket dropping ends the stream; a viewer that reconnects finds it with live:active", async () => {
			const streamer = await device(t, c);
			const eb = new Events(b.socket, [...EVENTS]);
			const { live } = await ok<{ live: LiveInfo }>(streamer, 'live:start', { threadId: group.id, source: 'screen' });
			await produce(streamer, live.liveId, 'video', 4444);

			// B watches on a device that drops: B stops counting; a new device sees the stream live.
			const phone = await device(t, b);
			await ok(phone, 'live:watch', { liveId: live.liveId });
			await eb.next('live:updated', (p) => p.live.liveId === live.liveId && p.live.viewers === 1);
			phone.disconnect();
			await eb.next('live:updated', (p) => p.live.liveId === live.liveId && p.live.viewers === 0);
			const again = await device(t, b);
			expect((await ok<{ streams: LiveInfo[] }>(again, 'live:active', {})).streams).toMatchObject([{ liveId: live.liveId, streamerId: c.user.id, source: 'screen', viewers: 0, state: 'live' }]);
			await ok(again, 'live:watch', { liveId: live.liveId });

			streamer.disconnect();
			expect(await eb.next('live:ended', (p) => p.liveId === live.liveId)).toMatchObject({ reason: 'streamer_left', summary: { peakViewers: 1 } });
			await eb.next('message:new', (p) => p.message.kind === 'live' && p.message.clientId === live.liveId);
			expect(await lines(b, live.liveId)).toMatchObject([{ senderId: c.user.id, live: { peakViewers: 1 } }]);
			await fails(again, 'media:producers', { callId: live.liveId }, 'not_found');
			// The thread is free again.
			const next = await ok<{ live: LiveInfo }>(b.socket, 'live:start', { threadId: group.id, source: 'camera' });
			await ok(b.socket, 'live:end', { liveId: next.live.liveId });
			again.disconnect();
		});

		it('someone added to the group since the start may watch; someone removed hears no more and may not watch', async () => {
			const d = (await people(t, 1))[0];
			await befriend(a, d);
			const room = (await ok<{ thread: Thread }>(a.socket, 'groups:create', { title: 'Room', memberIds: [b.user.id] })).thread;
			const { live } = await ok<{ live: LiveInfo }>(a.socket, 'live:start', { threadId: room.id, source: 'camera' });
			await fails(d.socket, 'live:watch', { liveId: live.liveId }, 'not_found');
			await ok(a.socket, 'groups:add', { threadId: room.id, userIds: [d.user.id] });
			expect((await ok<{ live: LiveInfo }>(d.socket, 'live:watch', { liveId: live.liveId })).live.viewers).toBe(1);
			await ok(b.socket, 'live:watch', { liveId: live.liveId });

			const eb = new Events(b.socket, [...EVENTS]);
			const ed = new Events(d.socket, [...EVENTS]);
			await ok(a.socket, 'groups:remove', { threadId: room.id, userId: b.user.id });
			await fails(b.socket, 'live:watch', { liveId: live.liveId }, 'not_found');
			await fails(b.socket, 'live:leave', { liveId: live.liveId }, 'not_found');
			// The members are read again at most every 2 s: after that, B no longer counts nor hears.
			await new Promise((r) => setTimeout(r, 2100));
			await ok(d.socket, 'live:leave', { liveId: live.liveId });
			expect((await ed.next('live:updated', (p) => p.live.liveId === live.liveId && p.live.viewers === 0)).live.viewers).toBe(0);
			await ok(a.socket, 'live:end', { liveId: live.liveId });
			await ed.next('live:ended', (p) => p.liveId === live.liveId);
			expect(await eb.none('live:ended', () => true, 300)).toBe(true);
			expect(eb.all('live:updated', (p) => p.live.liveId === live.liveId && p.live.viewers === 0)).toEqual([]);
		});
	});
}
