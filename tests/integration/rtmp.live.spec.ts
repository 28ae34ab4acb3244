import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LiveKeyRegenerateResponse, Thread } from '../../src/lib/protocol/index.js';
import { befriend, Events, ok, people, type Person } from '../helpers/chat.js';
import { mediaEnv } from '../helpers/media.js';
import { freePort, startParley, type TestParley } from '../helpers/parley.js';
import { describeWithFfmpeg, publish, type TestPublisher } from '../helpers/rtmp.js';

// End to end through one Parley process, as OBS uses it: the streamer makes a stream key in Settings
// (`live:key:regenerate`), ffmpeg publishes to live/<threadId>/<key> on the media role's RTMP port, the
// thread's members hear `live:started` (source rtmp), a viewer finds the video and audio producers, a
// dropped publisher that comes back resumes the same stream, and one that stops ends it. A key that was
// replaced, and a key of nobody, are refused with nothing started.
describeWithFfmpeg('RTMP into a live stream through the app (sqlite)', () => {
	let t: TestParley;
	let a: Person, b: Person;
	let thread: Thread;
	let port: number;
	const publishers: TestPublisher[] = [];
	const start = (url: string, seconds?: number) => {
		const p = publish(url, { seconds });
		publishers.push(p);
		return p;
	};

	beforeAll(async () => {
		port = await freePort();
		t = await startParley('sqlite', { env: { ...mediaEnv(), RTMP_PORT: String(port), RTMP_HOST: '127.0.0.1' }, parley: { limits: { codesPerIp: 10_000 } } });
		[a, b] = await people(t, 2);
		thread = await befriend(a, b);
	});
	afterAll(async () => {
		for (const p of publishers) await p.stop();
		await t?.stop();
	});

	it('healthz says RTMP is available', async () => {
		expect((await t.request('GET', '/healthz')).body).toMatchObject({ rtmp: 'available' });
	});

	it('refuses a key nobody holds, and a replaced key; nothing goes live', async () => {
		const eb = new Events(b.socket, ['live:started']);
		const first = await ok<LiveKeyRegenerateResponse>(a.socket, 'live:key:regenerate', {});
		await ok<LiveKeyRegenerateResponse>(a.socket, 'live:key:regenerate', {});
		for (const key of [first.key, 'A'.repeat(43)]) {
			const p = start(`rtmp://127.0.0.1:${port}/live/${thread.id}/${key}`, 5);
			expect(await p.exited).not.toBe(0);
		}
		expect(eb.log.filter((e) => e.event === 'live:started')).toHaveLength(0);
		expect((await ok<{ streams: unknown[] }>(b.socket, 'live:active', {})).streams).toEqual([]);
	}, 30_000);

	it('publish with the current key, watch, drop and resume the same stream, stop ends it with a line', async () => {
		const { key, rtmpUrl } = await ok<LiveKeyRegenerateResponse>(a.socket, 'live:key:regenerate', {});
		expect(rtmpUrl).toMatch(/^rtmp:\/\//);
		const eb = new Events(b.socket, ['live:started', 'live:updated', 'live:ended', 'media:newProducer', 'message:new']);
		const url = `rtmp://127.0.0.1:${port}/live/${thread.id}/${key}`;
		let p = start(url);
		const { live } = await eb.next('live:started', (x) => x.live.threadId === thread.id);
		expect(live).toMatchObject({ source: 'rtmp', streamerId: a.user.id, state: 'live' });
		await ok(b.socket, 'live:watch', { liveId: live.liveId });
		await expect
			.poll(async () => (await ok<{ producers: Array<{ kind: string }> }>(b.socket, 'media:producers', { callId: live.liveId })).producers.map((x) => x.kind).sort(), { timeout: 15_000 })
			.toEqual(['audio', 'video']);

		await p.stop(); // dropped, not stopped: the stream waits for it
		await eb.next('live:updated', (x) => x.live.liveId === live.liveId && x.live.state === 'reconnecting');
		p = start(url, 4);
		await eb.next('live:updated', (x) => x.live.liveId === live.liveId && x.live.state === 'live');
		await eb.next('media:newProducer', (x) => x.callId === live.liveId);
		expect(await p.exited).toBe(0); // ffmpeg ends by itself: FCUnpublish, deleteStream
		const ended = await eb.next('live:ended', (x) => x.liveId === live.liveId);
		expect(ended.reason).toBe('ended');
		const line = await eb.next('message:new', (x) => x.message.kind === 'live');
		expect(line.message.text).toMatch(/^Live, \d+:\d\d, 1 viewer at most$/);
	}, 90_000);
});
