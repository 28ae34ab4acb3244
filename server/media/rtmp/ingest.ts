import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { types } from 'mediasoup';
import type { Logger } from '../../logger.js';
import type { VideoTarget } from './ffmpeg.js';
import { Publisher } from './publisher.js';
import { createRtpProducers } from './rtp-producers.js';
import { RtmpSession } from './session.js';
import { parseStreamPath } from './stream-path.js';

/**
 * The live stream an RTMP publish feeds (server/media/live: `LiveIngest.startRtmp` returns one).
 * The ingest puts its producers on `router`, hands each to `addProducer`, and when the publisher goes
 * calls `end()` (it said it stops) or `suspend()` (it dropped: the live side waits 10 s for it to come
 * back through `start` again). When `router` closes (the stream ended elsewhere), the ingest cuts
 * the publisher.
 */
export interface RtmpLiveHandle {
	router: types.Router;
	/** Viewers may consume it once this settles; a rejection refuses the publish. */
	addProducer(producer: types.Producer): Promise<void> | void;
	suspend(): void;
	end(): void;
}

/** A publish being fed to the SFU now. */
export interface RtmpStream {
	/** New for every publish (a reconnect gets a new one). */
	id: string;
	userId: string;
	threadId: string;
	video: types.Producer;
	audio: types.Producer;
	/** The transcode once it runs (it starts at the first video): its pid, and whether the video is copied. */
	transcode(): { pid: number | undefined; videoCopied: boolean } | null;
}

export interface RtmpIngestOptions {
	/** TCP port (`RTMP_PORT`); 0 picks a free one (tests). */
	port: number;
	/** Address to listen on (`RTMP_HOST`). Default `0.0.0.0`. */
	host?: string;
	/** The ffmpeg binary (`FFMPEG_BIN`). */
	ffmpeg: string;
	/** What ffmpeg sends the SFU (`RTMP_VIDEO_CODEC`): H.264 Constrained Baseline (copied when it already is) or VP8. Default h264. */
	target?: VideoTarget;
	/** The user a stream key belongs to, or null when it is no one's. */
	authenticate(key: string): Promise<{ userId: string } | null>;
	/** Starts (or resumes) `userId`'s stream in `threadId`; throws to refuse (not a member, a stream there already...). */
	start(input: { userId: string; threadId: string }): Promise<RtmpLiveHandle>;
	/** Handshake to publish within this. Default 10000. */
	setupTimeoutMs?: number;
	/** A publisher silent for this long is cut off. Default 30000. */
	idleTimeoutMs?: number;
	log: Logger;
}

/**
 * The RTMP server of the media role (docs/PROTOCOL.md, "RTMP ingest"): accepts a publish to
 * `live/<threadId>/<key>` when the key authenticates, no one publishes with that key already and the
 * live side starts the stream; then feeds two producers (video, audio) through ffmpeg.
 */
export class RtmpIngest {
	/** Keys being authenticated or published with: a second publisher on one is refused. */
	private readonly busy = new Set<string>();
	private readonly sessions = new Set<RtmpSession>();
	private readonly streams = new Map<string, RtmpStream>();

	private constructor(
		private readonly server: net.Server,
		private readonly options: RtmpIngestOptions
	) {}

	/** Starts listening; rejects when the port cannot be bound. */
	static async start(options: RtmpIngestOptions): Promise<RtmpIngest> {
		const server = net.createServer();
		const ingest = new RtmpIngest(server, options);
		server.on('connection', (socket) => ingest.accept(socket));
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(options.port, options.host ?? '0.0.0.0', () => {
				server.off('error', reject);
				resolve();
			});
		});
		return ingest;
	}

	/** The bound port (the real one when started with 0). */
	get port(): number {
		return (this.server.address() as net.AddressInfo).port;
	}

	/** The streams being published now. */
	live(): RtmpStream[] {
		return [...this.streams.values()];
	}

	/** Stops listening and cuts every publisher (their streams are suspended, as for a drop). */
	async close(): Promise<void> {
		const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
		for (const s of this.sessions) s.close('the RTMP server is closing');
		await closed;
	}

	private accept(socket: net.Socket): void {
		const { log } = this.options;
		const peer = `${socket.remoteAddress}:${socket.remotePort}`;
		const target = this.options.target ?? 'h264';
		let key: string | null = null;
		let publisher: Publisher | null = null;
		let stream: RtmpStream | null = null;
		let handle: RtmpLiveHandle | null = null;
		const refuse = (why: string) => {
			log.info(`refused a publish from ${peer}: ${why}`);
			return false;
		};
		const session: RtmpSession = new RtmpSession(
			socket,
			{
				publish: async (path) => {
					const parsed = parseStreamPath(path);
					if ('error' in parsed) return refuse(parsed.error);
					if (this.busy.has(parsed.key)) return refuse('a publisher is already live with that stream key');
					key = parsed.key;
					this.busy.add(key);
					const who = await this.options.authenticate(key);
					if (!who) return refuse('unknown stream key');
					if (session.isClosed) return false;
					try {
						handle = await this.options.start({ userId: who.userId, threadId: parsed.threadId });
					} catch (error) {
						return refuse(`user ${who.userId} may not stream in thread ${parsed.threadId}: ${(error as Error).message}`);
					}
					const { router } = handle;
					const id = randomUUID();
					const producers = await createRtpProducers(router, target, { rtmpStreamId: id });
					if (session.isClosed || router.closed) {
						producers.close();
						return false;
					}
					const plog = log.with({ rtmp: id, user: who.userId, thread: parsed.threadId });
					const p = new Publisher({ ffmpeg: this.options.ffmpeg, target, producers, failed: (reason) => session.close(reason), log: plog });
					publisher = p;
					stream = { id, userId: who.userId, threadId: parsed.threadId, video: producers.video, audio: producers.audio, transcode: () => p.transcode() };
					this.streams.set(id, stream);
					router.observer.once('close', () => session.close('the live stream ended'));
					try {
						await handle.addProducer(producers.video);
						await handle.addProducer(producers.audio);
					} catch (error) {
						// Closing the session closes the producers and suspends the stream, as for a drop.
						session.close(`the live stream did not take the producers: ${(error as Error).message}`);
						return false;
					}
					if (session.isClosed) return false;
					plog.info(`publishing from ${peer}`);
					return true;
				},
				media: (message) => publisher?.write(message),
				closed: (reason, ended) => {
					this.sessions.delete(session);
					if (key) this.busy.delete(key);
					publisher?.close();
					if (stream) this.streams.delete(stream.id);
					if (handle && !handle.router.closed) {
						log.with({ user: stream?.userId ?? '?' }).info(`${ended ? 'ended' : 'dropped'}: ${reason}`);
						if (ended) handle.end();
						else handle.suspend();
					}
				}
			},
			{ setupTimeoutMs: this.options.setupTimeoutMs ?? 10_000, idleTimeoutMs: this.options.idleTimeoutMs ?? 30_000 }
		);
		this.sessions.add(session);
	}
}
