import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { decodeAll, encode, type Amf0Value } from './amf0.js';
import { ChunkReader, writeMessage, type RtmpMessage } from './chunks.js';

export interface SessionHooks {
	/**
	 * `publish` arrived: `path` is the connect's app and the publish's name joined by `/`, without a
	 * query (`live/<threadId>/<key>` whether OBS put the thread in the server URL or ffmpeg all in one
	 * URL). Resolve true to accept; false refuses and closes the connection.
	 */
	publish(path: string): Promise<boolean>;
	/** An audio (8), video (9) or data (18) message of the accepted stream, in order. */
	media(message: RtmpMessage): void;
	/**
	 * The connection is over, once. `ended`: the publisher said it stops (FCUnpublish, deleteStream:
	 * OBS's "Stop Streaming"), as opposed to a dropped connection it may come back from.
	 */
	closed(reason: string, ended: boolean): void;
}

export interface SessionOptions {
	/** Handshake, connect and publish must be done within this. */
	setupTimeoutMs: number;
	/** A publishing connection that sends nothing for this long is closed. */
	idleTimeoutMs: number;
}

const HANDSHAKE_SIZE = 1536;
const OUT_CHUNK_SIZE = 4096;
const WINDOW = 2_500_000;
const STREAM_ID = 1;

type Phase = 'c0c1' | 'c2' | 'commands' | 'authenticating' | 'publishing' | 'closed';

/**
 * One RTMP connection, from the handshake to the end of its publish. Speaks the part of RTMP a
 * publisher (OBS, ffmpeg) needs: the simple handshake (S2 echoes C1; clients that publish do not check
 * the server's digest), connect, releaseStream/FCPublish, createStream, publish, and the stream's
 * audio, video and data messages. Anything else a publisher does not need (play, a second publish)
 * closes the connection.
 */
export class RtmpSession {
	private phase: Phase = 'c0c1';
	private pending: Buffer = Buffer.alloc(0);
	private readonly reader = new ChunkReader();
	private app = '';
	private received = 0;
	private acknowledged = 0;
	private peerWindow = 0;
	private readonly setupTimer: NodeJS.Timeout;
	private early: RtmpMessage[] = [];

	constructor(
		private readonly socket: Socket,
		private readonly hooks: SessionHooks,
		private readonly options: SessionOptions
	) {
		socket.setNoDelay(true);
		this.setupTimer = setTimeout(() => this.close('no publish within the setup time'), options.setupTimeoutMs);
		socket.on('data', (data: Buffer) => {
			try {
				this.onData(data);
			} catch (error) {
				this.close(`bad input: ${(error as Error).message}`);
			}
		});
		socket.on('error', (error) => this.close(`socket error: ${error.message}`));
		socket.on('close', () => this.close('connection closed by the publisher'));
	}

	get isClosed(): boolean {
		return this.phase === 'closed';
	}

	/**
	 * Ends the connection (once) and reports why. `flush` lets what was written (a refusal) reach the
	 * publisher first, then cuts the connection a second later at the latest.
	 */
	close(reason: string, flush = false, ended = false): void {
		if (this.phase === 'closed') return;
		this.phase = 'closed';
		clearTimeout(this.setupTimer);
		if (flush) {
			this.socket.end();
			setTimeout(() => this.socket.destroy(), 1000).unref();
		} else this.socket.destroy();
		this.hooks.closed(reason, ended);
	}

	private onData(data: Buffer): void {
		this.received += data.length;
		this.process(data);
	}

	private process(data: Buffer): void {
		if (this.phase === 'c0c1' || this.phase === 'c2') {
			this.pending = Buffer.concat([this.pending, data]);
			this.handshake();
			return;
		}
		if (this.phase === 'closed') return;
		for (const message of this.reader.push(data)) {
			if (this.isClosed) return;
			this.onMessage(message);
		}
		if (this.peerWindow > 0 && this.received - this.acknowledged >= this.peerWindow) {
			this.acknowledged = this.received;
			this.send(2, 3, 0, u32(this.received >>> 0));
		}
	}

	private handshake(): void {
		if (this.phase === 'c0c1') {
			if (this.pending.length < 1 + HANDSHAKE_SIZE) return;
			if (this.pending[0] !== 3) throw new Error(`RTMP version ${this.pending[0]} (only 3 exists)`);
			const c1 = this.pending.subarray(1, 1 + HANDSHAKE_SIZE);
			const s1 = Buffer.concat([Buffer.alloc(8), randomBytes(HANDSHAKE_SIZE - 8)]);
			this.socket.write(Buffer.concat([Buffer.from([3]), s1, c1]));
			this.pending = this.pending.subarray(1 + HANDSHAKE_SIZE);
			this.phase = 'c2';
		}
		if (this.phase === 'c2' && this.pending.length >= HANDSHAKE_SIZE) {
			const rest = this.pending.subarray(HANDSHAKE_SIZE);
			this.pending = Buffer.alloc(0);
			this.phase = 'commands';
			if (rest.length > 0) this.process(rest);
		}
	}

	private onMessage(message: RtmpMessage): void {
		switch (message.type) {
			case 5: // window acknowledgement size: how often the peer wants our acknowledgements
				this.peerWindow = message.payload.readUInt32BE(0);
				return;
			case 8:
			case 9:
			case 18:
				if (this.phase === 'publishing') this.hooks.media(message);
				// Some publishers send before they hear Publish.Start: keep a little while the key is checked.
				else if (this.phase === 'authenticating' && this.early.length < 200) this.early.push(message);
				else if (message.type !== 18) this.close(`media before an accepted publish`);
				return;
			case 17: // AMF3 command: a format byte, then AMF0
				this.onCommand(decodeAll(message.payload.subarray(1)));
				return;
			case 20:
				this.onCommand(decodeAll(message.payload));
				return;
			default: // acknowledgements, user control, peer bandwidth, abort: nothing to do
				return;
		}
	}

	private onCommand(values: Amf0Value[]): void {
		const [name, txn] = values;
		const id = typeof txn === 'number' ? txn : 0;
		switch (name) {
			case 'connect': {
				const params = values[2];
				this.app = params && typeof params === 'object' && !Array.isArray(params) && typeof params.app === 'string' ? params.app : '';
				this.send(2, 5, 0, u32(WINDOW));
				this.send(2, 6, 0, Buffer.concat([u32(WINDOW), Buffer.from([2])]));
				this.send(2, 1, 0, u32(OUT_CHUNK_SIZE));
				this.command(0, '_result', id, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding: 0 });
				return;
			}
			case 'createStream':
				this.command(0, '_result', id, null, STREAM_ID);
				return;
			case 'releaseStream':
			case 'FCPublish':
			case 'getStreamLength':
				if (id > 0) this.command(0, '_result', id, null, undefined);
				return;
			case 'publish':
				this.onPublish(typeof values[3] === 'string' ? values[3] : '');
				return;
			case 'FCUnpublish':
			case 'deleteStream':
			case 'closeStream':
				this.close('the publisher ended its stream', false, true);
				return;
			case 'play':
				this.close('play is not served (RTMP here is ingest only)');
				return;
			default:
				return;
		}
	}

	private onPublish(raw: string): void {
		if (this.phase !== 'commands') {
			this.close('a second publish on one connection');
			return;
		}
		// OBS and ffmpeg may append a query (`key?foo=bar`); what counts is what precedes it.
		const name = raw.split('?')[0];
		const path = [this.app.split('?')[0], name].filter(Boolean).join('/');
		this.phase = 'authenticating';
		this.hooks.publish(path).then(
			(accepted) => {
				if (this.phase !== 'authenticating') return;
				if (!accepted) {
					this.status('error', 'NetStream.Publish.BadName', 'stream key refused');
					this.close('stream key refused', true);
					return;
				}
				clearTimeout(this.setupTimer);
				this.phase = 'publishing';
				this.socket.setTimeout(this.options.idleTimeoutMs, () => this.close(`nothing received for ${this.options.idleTimeoutMs} ms`));
				this.send(2, 4, 0, Buffer.from([0, 0, 0, 0, 0, STREAM_ID])); // user control: stream begin
				this.status('status', 'NetStream.Publish.Start', 'publishing');
				for (const m of this.early) this.hooks.media(m);
				this.early = [];
			},
			(error: Error) => this.close(`publish failed: ${error.message}`)
		);
	}

	private status(level: 'status' | 'error', code: string, description: string): void {
		this.command(STREAM_ID, 'onStatus', 0, null, { level, code, description });
	}

	private command(streamId: number, ...values: Amf0Value[]): void {
		this.send(3, 20, streamId, encode(...values));
	}

	private send(csid: number, type: number, streamId: number, payload: Buffer): void {
		if (this.socket.destroyed) return;
		this.socket.write(writeMessage(csid, { type, timestamp: 0, streamId, payload }, OUT_CHUNK_SIZE));
	}
}

function u32(n: number): Buffer {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(n);
	return b;
}
