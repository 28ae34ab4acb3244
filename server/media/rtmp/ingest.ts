import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { types } from 'mediasoup';
import type { Logger } from '../../logger.js';
import type { VideoTarget } from './ffmpeg.js';
import { Publisher } from './publisher.js';
import { createRtpProducers } from './rtp-producers.js';
import { RtmpSession } from './session.js';

/** A publisher's stream on the SFU, from `onPublish` to `onUnpublish`. */
export interface RtmpStream {
	/** New for every publish (a reconnect gets a new one; the live side maps it to its live stream). */
	id: string;
	userId: string;
	video: types.Producer;
	audio: types.Producer;
	/** When the publish was accepted (ms since the epoch). */
	startedAt: number;
	/** The transcode's process id, once it runs. */
	transcodePid(): number | undefined;
}

export interface RtmpIngestOptions {
	/** TCP port to listen on (`RTMP_PORT`); 0 picks a free one (tests). */
	port: number;
	/** Address to listen on. Default `0.0.0.0`. */
	host?: string;
	/** The ffmpeg binary (`FFMPEG_BIN`). */
	ffmpeg: string;
	/** What ffmpeg sends the SFU (`RTMP_VIDEO_CODEC`): H.264 Constrained Baseline (copied when it already is) or VP8. Default h264. */
	target?: VideoTarget;
	/** The user a stream key belongs to, or null for a key that is not one. */
	authenticate(key: string): Promise<{ userId: string } | null>;
	/** The router this user's stream goes on (the live side starts or resumes the live stream); null refuses the publish. */
	router(publisher: { userId: string }): Promise<types.Router | null>;
	/** The stream's producers exist (no packets yet: ffmpeg starts with the first video). */
	onPublish(stream: RtmpStream): void;
	/**
	 * The publisher is gone (disconnected, ended, or ffmpeg failed); its producers are closed. A
	 * reconnect within the live side's grace period (10 s) should resume the same live stream.
	 */
	onUnpublish(stream: RtmpStream, reason: string): void;
	/** Handshake to publish within this. Default 10000. */
	setupTimeoutMs?: number;
	/** A publisher silent for this long is cut off. Default 30000. */
	idleTimeoutMs?: number;
	log: Logger;
}

/**
 * The RTMP server of the media role: accepts a publish when its stream key authenticates and no one
 * else publishes with that key, puts two producers (video, audio) on the router the live side names,
 * and feeds them through ffmpeg. See docs/PROTOCOL.md, "RTMP ingest".
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

	/** The bound port (useful with port 0). */
	get port(): number {
		return (this.server.address() as net.AddressInfo).port;
	}

	/** The streams being published now. */
	live(): RtmpStream[] {
		return [...this.streams.values()];
	}

	/** Stops listening and cuts every publisher (each reports `onUnpublish`). */
	async close(): Promise<void> {
		const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
		for (const s of this.sessions) s.close('the RTMP server is closing');
		await closed;
	}

	private accept(socket: net.Socket): void {
		const { log } = this.options;
		const peer = `${socket.remoteAddress}:${socket.remotePort}`;
		let key: string | null = null;
		let publisher: Publisher | null = null;
		let stream: RtmpStream | null = null;
		const session: RtmpSession = new RtmpSession(
			socket,
			{
				publish: async ({ name }) => {
					if (name === '' || this.busy.has(name)) {
						log.info(`refused a publish from ${peer}: ${name === '' ? 'no stream key' : 'a publisher is already live with that key'}`);
						return false;
					}
					key = name;
					this.busy.add(name);
					const who = await this.options.authenticate(name);
					if (!who) {
						log.info(`refused a publish from ${peer}: unknown stream key`);
						return false;
					}
					const router = await this.options.router(who);
					if (!router || router.closed) {
						log.info(`refused a publish from ${peer} (user ${who.userId}): no live stream for it`);
						return false;
					}
					if (session.isClosed) return false;
					const id = randomUUID();
					const producers = await createRtpProducers(router, this.options.target ?? 'h264', { rtmpStreamId: id, userId: who.userId });
					if (session.isClosed) {
						producers.close();
						return false;
					}
					const plog = log.with({ rtmp: id, user: who.userId });
					publisher = new Publisher({ ffmpeg: this.options.ffmpeg, target: this.options.target ?? 'h264', producers, failed: (reason) => session.close(reason), log: plog });
					const p = publisher;
					stream = { id, userId: who.userId, video: producers.video, audio: producers.audio, startedAt: p.acceptedAt, transcodePid: () => p.pid };
					this.streams.set(id, stream);
					plog.info(`publishing from ${peer}`);
					this.options.onPublish(stream);
					return true;
				},
				media: (message) => publisher?.write(message),
				closed: (reason) => {
					this.sessions.delete(session);
					if (key) this.busy.delete(key);
					publisher?.close();
					if (stream) {
						this.streams.delete(stream.id);
						log.with({ rtmp: stream.id, user: stream.userId }).info(`unpublished: ${reason}`);
						this.options.onUnpublish(stream, reason);
					}
				}
			},
			{ setupTimeoutMs: this.options.setupTimeoutMs ?? 10_000, idleTimeoutMs: this.options.idleTimeoutMs ?? 30_000 }
		);
		this.sessions.add(session);
	}
}
