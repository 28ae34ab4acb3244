import type { types } from 'mediasoup';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { log } from '../../server/logger.js';
import { RtmpIngest, type RtmpStream } from '../../server/media/rtmp/ingest.js';
import { findWorkerBinary } from '../../server/media/worker-bin.js';
import { WorkerPool } from '../../server/media/workers.js';
import { cpuSeconds, describeWithFfmpeg, FFMPEG, publish, type TestPublisher } from '../helpers/rtmp.js';

// docs/PROTOCOL.md, "RTMP ingest": ffmpeg (standing in for OBS) publishes to the media role's RTMP
// server with a stream key; the stream reaches the router as a video and an audio producer, which a
// consumer receives. A bad key or a second publisher on a live key is refused and starts nothing;
// the publisher leaving closes the producers.
describeWithFfmpeg('RTMP ingest into the SFU', () => {
	const KEYS: Record<string, string> = { 'key-alice': 'alice', 'key-bob': 'bob' };
	let pool: WorkerPool;
	let router: types.Router;
	let ingest: RtmpIngest;
	const events: Array<{ kind: 'publish' | 'unpublish'; stream: RtmpStream; reason?: string }> = [];
	const publishers: TestPublisher[] = [];
	const url = (key: string) => `rtmp://127.0.0.1:${ingest.port}/live/${key}`;

	beforeAll(async () => {
		const found = findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN });
		if ('error' in found) throw new Error(found.error);
		pool = await WorkerPool.start({ bin: found.path, count: 1, minPort: 43000, maxPort: 43999, log: log.child('test-workers') });
		router = await pool.router();
		ingest = await RtmpIngest.start({
			port: 0,
			host: '127.0.0.1',
			ffmpeg: FFMPEG,
			authenticate: async (key) => (KEYS[key] ? { userId: KEYS[key] } : null),
			router: async () => router,
			onPublish: (stream) => events.push({ kind: 'publish', stream }),
			onUnpublish: (stream, reason) => events.push({ kind: 'unpublish', stream, reason }),
			log: log.child('rtmp-test')
		});
	});
	afterEach(async () => {
		for (const p of publishers.splice(0)) await p.stop();
		await expect.poll(() => ingest.live().length, { timeout: 5000 }).toBe(0);
		events.length = 0;
	});
	afterAll(async () => {
		await ingest?.close();
		pool?.close();
	});

	function start(key: string, profile?: 'baseline' | 'high'): TestPublisher {
		const p = publish(url(key), { profile });
		publishers.push(p);
		return p;
	}

	/** Bytes a consumer on a DirectTransport receives from `producer` within `ms`. */
	async function received(producer: types.Producer, ms: number): Promise<number> {
		const transport = await router.createDirectTransport();
		try {
			const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
			let bytes = 0;
			consumer.on('rtp', (packet: Buffer) => (bytes += packet.length));
			await new Promise((r) => setTimeout(r, ms));
			return bytes;
		} finally {
			transport.close();
		}
	}

	async function firstPacket(producer: types.Producer): Promise<void> {
		await expect.poll(async () => (await producer.getStats())[0]?.byteCount ?? 0, { timeout: 15_000, interval: 20 }).toBeGreaterThan(0);
	}

	it('a good key: a video and an audio producer whose packets a consumer receives; leaving closes them', async () => {
		const t0 = Date.now();
		const p = start('key-alice');
		await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1);
		const { stream } = events[0];
		expect(stream.userId).toBe('alice');
		expect(stream.video.kind).toBe('video');
		expect(stream.audio.kind).toBe('audio');
		await firstPacket(stream.video);
		const tVideo = Date.now() - t0;
		await firstPacket(stream.audio);
		const tAudio = Date.now() - t0;
		console.info(`[rtmp figures] ffmpeg start to first RTP at the producer: video ${tVideo} ms, audio ${tAudio} ms`);

		// Bytes keep coming, and reach consumers of both kinds.
		expect(await received(stream.video, 2500)).toBeGreaterThan(10_000);
		expect(await received(stream.audio, 1000)).toBeGreaterThan(1000);

		// The transcode's CPU at 640x360 30 fps (High profile in, so encoded again), over 5 s.
		const pid = stream.transcodePid()!;
		const c0 = await cpuSeconds(pid);
		await new Promise((r) => setTimeout(r, 5000));
		console.info(`[rtmp figures] transcode ffmpeg CPU at 640x360 30 fps (x264 baseline + opus): ${(((await cpuSeconds(pid)) - c0) / 5) * 100}% of a core`);

		await p.stop();
		await expect.poll(() => events.map((e) => e.kind)).toEqual(['publish', 'unpublish']);
		expect(stream.video.closed).toBe(true);
		expect(stream.audio.closed).toBe(true);
		await expect.poll(() => isRunning(pid), { timeout: 5000 }).toBe(false);
	}, 60_000);

	it('a bad key is refused: the publisher fails and no producer appears', async () => {
		const p = start('key-nobody');
		const code = await p.exited;
		expect(code).not.toBe(0);
		expect(events).toEqual([]);
		expect(ingest.live()).toEqual([]);
	}, 20_000);

	it('a second publisher on a live key is refused; the first goes on', async () => {
		start('key-bob');
		await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1);
		const first = events[0].stream;
		const second = start('key-bob');
		expect(await second.exited).not.toBe(0);
		expect(events.length).toBe(1);
		expect(ingest.live().map((s) => s.id)).toEqual([first.id]);
		await firstPacket(first.video);
		expect(first.video.closed).toBe(false);
	}, 30_000);

	it('a Baseline H.264 publisher is copied, not encoded again', async () => {
		start('key-alice', 'baseline');
		await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1);
		const { stream } = events[0];
		await firstPacket(stream.video);
		expect(await received(stream.video, 2000)).toBeGreaterThan(10_000);
		const pid = stream.transcodePid()!;
		const c0 = await cpuSeconds(pid);
		await new Promise((r) => setTimeout(r, 3000));
		console.info(`[rtmp figures] copy ffmpeg CPU (video copied, AAC to Opus): ${(((await cpuSeconds(pid)) - c0) / 3) * 100}% of a core`);
	}, 30_000);
});

function isRunning(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}
