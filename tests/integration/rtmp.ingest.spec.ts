import type { types } from 'mediasoup';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { log } from '../../server/logger.js';
import { OPUS_FRAME_MS } from '../../server/media/rtmp/ffmpeg.js';
import { startRtmp } from '../../server/media/rtmp/index.js';
import { RtmpIngest, type RtmpLiveHandle } from '../../server/media/rtmp/ingest.js';
import { findWorkerBinary } from '../../server/media/worker-bin.js';
import { WorkerPool } from '../../server/media/workers.js';
import { opusPacketShape } from '../helpers/opus.js';
import { describeWithFfmpeg, FFMPEG, publish, type TestPublisher } from '../helpers/rtmp.js';

// docs/PROTOCOL.md, "RTMP ingest": ffmpeg (standing in for OBS) publishes to the media role's RTMP
// server at live/<threadId>/<key>; the stream reaches the live stream's router as a video and an audio
// producer, which a consumer receives. A bad key, a refused thread, or a second publisher on a live key
// is refused and starts nothing; the publisher leaving closes the producers and suspends (dropped) or
// ends (said so) the live stream. The live side here is a stand-in with a real router.
describeWithFfmpeg('RTMP ingest into the SFU', () => {
	const KEYS: Record<string, string> = { 'key-alice': 'alice', 'key-bob': 'bob' };
	let pool: WorkerPool;
	let ingest: RtmpIngest;
	let transportsMade = 0;
	interface Live {
		threadId: string;
		router: types.Router;
		producers: types.Producer[];
		calls: string[];
		/** When the publish was accepted (its producers made). */
		at: number;
	}
	const lives: Live[] = [];
	const publishers: TestPublisher[] = [];
	const url = (threadId: string, key: string) => `rtmp://127.0.0.1:${ingest.port}/live/${threadId}/${key}`;

	beforeAll(async () => {
		const found = findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN });
		if ('error' in found) throw new Error(found.error);
		pool = await WorkerPool.start({ bin: found.path, count: 1, minPort: 43000, maxPort: 43999, log: log.child('test-workers') });
		ingest = await RtmpIngest.start({
			port: 0,
			host: '127.0.0.1',
			ffmpeg: FFMPEG,
			authenticate: async (key) => (KEYS[key] ? { userId: KEYS[key] } : null),
			start: async ({ threadId }): Promise<RtmpLiveHandle> => {
				if (threadId === 'not-mine') throw new Error('thread "not-mine" not found');
				const router = await pool.router();
				router.observer.on('newtransport', () => transportsMade++);
				const live: Live = { threadId, router, producers: [], calls: [], at: Date.now() };
				lives.push(live);
				return {
					router,
					addProducer: async (p) => {
						live.producers.push(p);
						if (threadId === 'ends-at-once') throw new Error('the live stream ended');
					},
					suspend: () => live.calls.push('suspend'),
					end: () => live.calls.push('end')
				};
			},
			log: log.child('rtmp-test')
		});
	});
	afterEach(async () => {
		for (const p of publishers.splice(0)) await p.stop();
		await expect.poll(() => ingest.live().length, { timeout: 5000 }).toBe(0);
		for (const l of lives.splice(0)) l.router.close();
		transportsMade = 0;
	});
	afterAll(async () => {
		await ingest?.close();
		pool?.close();
	});

	function start(threadId: string, key: string, options: { profile?: 'baseline' | 'high'; seconds?: number } = {}): TestPublisher {
		const p = publish(url(threadId, key), options);
		publishers.push(p);
		return p;
	}

	/**
	 * Waits until a consumer on a DirectTransport has received `bytes` from `producer` (a consumer
	 * starts at a keyframe, which ffmpeg makes once a second: it cannot answer the SFU's PLI).
	 */
	/** Consumes `producer` on a DirectTransport of its own, handing each RTP packet to `onRtp`, until `until` settles. */
	async function consuming(router: types.Router, producer: types.Producer, onRtp: (packet: Buffer) => void, until: () => Promise<unknown>): Promise<void> {
		const transport = await router.createDirectTransport();
		try {
			const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
			consumer.on('rtp', onRtp);
			await until();
		} finally {
			transport.close();
		}
	}

	async function receives(router: types.Router, producer: types.Producer, bytes: number): Promise<void> {
		let got = 0;
		await consuming(router, producer, (packet) => (got += packet.length), () => expect.poll(() => got, { timeout: 10_000, interval: 50 }).toBeGreaterThan(bytes));
	}

	/** The payloads (past CSRCs and header extension) of the next `count` RTP packets a consumer of `producer` gets. */
	async function rtpPayloads(router: types.Router, producer: types.Producer, count: number): Promise<Buffer[]> {
		const got: Buffer[] = [];
		const onRtp = (packet: Buffer) => {
			let start = 12 + (packet[0] & 0x0f) * 4;
			if (packet[0] & 0x10) start += 4 + packet.readUInt16BE(start + 2) * 4;
			got.push(packet.subarray(start));
		};
		await consuming(router, producer, onRtp, () => expect.poll(() => got.length, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(count));
		return got.slice(0, count);
	}

	async function firstPacket(producer: types.Producer): Promise<void> {
		await expect.poll(async () => (await producer.getStats())[0]?.byteCount ?? 0, { timeout: 15_000, interval: 20 }).toBeGreaterThan(0);
	}

	async function accepted(): Promise<{ live: Live; video: types.Producer; audio: types.Producer }> {
		await expect.poll(() => lives.length === 1 && lives[0].producers.length === 2, { timeout: 10_000 }).toBe(true);
		const live = lives[0];
		const video = live.producers.find((p) => p.kind === 'video')!;
		const audio = live.producers.find((p) => p.kind === 'audio')!;
		return { live, video, audio };
	}

	it('a good key: a video and an audio producer a consumer receives; a dropped publisher closes them and suspends the stream', async () => {
		const t0 = Date.now();
		const p = start('thread-1', 'key-alice');
		const { live, video, audio } = await accepted();
		expect(live.threadId).toBe('thread-1');
		expect(ingest.live().map((s) => s.userId)).toEqual(['alice']);
		await firstPacket(video);
		const tVideo = Date.now() - t0;
		await firstPacket(audio);
		console.info(`[rtmp figures] publisher start to first RTP at the producer: video ${tVideo} ms, audio ${Date.now() - t0} ms (publish accepted after ${live.at - t0} ms)`);

		await receives(live.router, video, 10_000);
		await receives(live.router, audio, 1000);
		// Opus in 60-ms packets (server/media/rtmp/ffmpeg.ts OPUS_FRAME_MS): fewer packets per viewer.
		// (Their RTP timestamps follow ffmpeg's input times, a few samples off 2,880 now and then.)
		const payloads = await rtpPayloads(live.router, audio, 6);
		expect(payloads.map((p) => opusPacketShape(p)?.ms)).toEqual(payloads.map(() => OPUS_FRAME_MS));

		// High profile in: encoded again (npm run bench -- rtmp-transcode measures what that costs).
		const transcode = ingest.live()[0].transcode()!;
		expect(transcode.videoCopied).toBe(false);
		const pid = transcode.pid!;

		await p.stop(); // SIGKILL: the connection drops, as when a network fails
		await expect.poll(() => live.calls).toEqual(['suspend']);
		expect(video.closed).toBe(true);
		expect(audio.closed).toBe(true);
		await expect.poll(() => isRunning(pid), { timeout: 5000 }).toBe(false);
	}, 60_000);

	it('a publisher that stops on its own ends the stream (not suspended)', async () => {
		const p = start('thread-1', 'key-alice', { seconds: 3 });
		const { live, video } = await accepted();
		expect(await p.exited).toBe(0);
		await expect.poll(() => live.calls).toEqual(['end']);
		expect(video.closed).toBe(true);
	}, 30_000);

	it('a bad key, a refused thread and a malformed path are refused; nothing is started', async () => {
		for (const [threadId, key] of [['thread-1', 'key-nobody'], ['not-mine', 'key-alice']]) {
			const p = start(threadId, key);
			expect(await p.exited).not.toBe(0);
		}
		const bare = publish(`rtmp://127.0.0.1:${ingest.port}/live/key-alice`);
		publishers.push(bare);
		expect(await bare.exited).not.toBe(0);
		expect(lives).toEqual([]);
		expect(transportsMade).toBe(0);
		expect(ingest.live()).toEqual([]);
	}, 30_000);

	it('when the live side does not take the producers, the publish is refused and they close', async () => {
		const p = start('ends-at-once', 'key-alice');
		expect(await p.exited).not.toBe(0);
		expect(lives.length).toBe(1);
		await expect.poll(() => lives[0].producers.map((x) => x.closed)).toEqual([true]);
		expect(lives[0].calls).toEqual(['suspend']);
		expect(ingest.live()).toEqual([]);
	}, 20_000);

	it('a second publisher on a live key is refused; the first goes on', async () => {
		start('thread-2', 'key-bob');
		const { video } = await accepted();
		const first = ingest.live()[0].id;
		const second = start('thread-3', 'key-bob');
		expect(await second.exited).not.toBe(0);
		expect(lives.length).toBe(1);
		expect(ingest.live().map((s) => s.id)).toEqual([first]);
		await firstPacket(video);
		expect(video.closed).toBe(false);
	}, 30_000);

	it('the live stream ending elsewhere (its router closes) cuts the publisher', async () => {
		const p = start('thread-1', 'key-alice');
		const { live } = await accepted();
		live.router.close();
		await p.exited;
		await expect.poll(() => ingest.live().length).toBe(0);
		expect(live.calls).toEqual([]);
	}, 30_000);

	it('a Baseline H.264 publisher is copied, not encoded again', async () => {
		start('thread-1', 'key-alice', { profile: 'baseline' });
		const { live, video } = await accepted();
		await firstPacket(video);
		await receives(live.router, video, 10_000);
		expect(ingest.live()[0].transcode()!.videoCopied).toBe(true);
	}, 30_000);

	it('with RTMP_VIDEO_CODEC=vp8 the video reaches the router as VP8', async () => {
		const vp8 = await RtmpIngest.start({
			port: 0,
			host: '127.0.0.1',
			ffmpeg: FFMPEG,
			target: 'vp8',
			authenticate: async (key) => (KEYS[key] ? { userId: KEYS[key] } : null),
			start: async ({ threadId }) => {
				const router = await pool.router();
				const live: Live = { threadId, router, producers: [], calls: [], at: Date.now() };
				lives.push(live);
				return { router, addProducer: (p) => void live.producers.push(p), suspend: () => {}, end: () => {} };
			},
			log: log.child('rtmp-test-vp8')
		});
		try {
			const p = publish(`rtmp://127.0.0.1:${vp8.port}/live/thread-1/key-alice`, { profile: 'baseline' });
			publishers.push(p);
			const { live, video } = await accepted();
			expect(video.rtpParameters.codecs[0].mimeType).toBe('video/VP8');
			await firstPacket(video);
			await receives(live.router, video, 10_000);
			expect(vp8.live()[0].transcode()!.videoCopied).toBe(false); // Baseline in, but VP8 out
			await p.stop();
			await expect.poll(() => vp8.live().length).toBe(0);
		} finally {
			await vp8.close();
		}
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

describeWithFfmpeg('the RTMP role with ffmpeg here', () => {
	it('listens on RTMP_PORT and says so; a taken port makes it unavailable, not fatal', async () => {
		const config = loadConfig({ RTMP_PORT: '0' }).rtmp;
		const hooks = { authenticate: async () => null, start: async (): Promise<RtmpLiveHandle> => Promise.reject(new Error('unused')), log: log.child('rtmp-test') };
		// Port 0 is "off" in the config: find a free port, as a deployment would name one.
		const first = await RtmpIngest.start({ port: 0, host: '127.0.0.1', ffmpeg: FFMPEG, ...hooks });
		const port = first.port;
		await first.close();
		const role = await startRtmp({ config: { ...config, port, host: '127.0.0.1' }, ...hooks });
		try {
			expect(role.status).toEqual({ rtmp: 'available', port });
			const taken = await startRtmp({ config: { ...config, port, host: '127.0.0.1' }, ...hooks });
			expect(taken.status).toMatchObject({ rtmp: 'unavailable', reason: expect.stringMatching(/cannot listen on 127.0.0.1:\d+: .*EADDRINUSE/) });
		} finally {
			await role.close();
		}
	});
});
