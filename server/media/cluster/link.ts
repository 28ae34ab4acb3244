import type { Redis } from 'ioredis';
import type { ErrorCode } from '../../../src/lib/protocol/index.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { watchRedis } from '../../kv/outage.js';
import type { CallContext } from '../calls/calls.service.js';

/** The operations a media node answers for chat nodes (see `hostHandler`). */
export type HostOp =
	| 'invite'
	| 'test'
	| 'accept'
	| 'join'
	| 'decline'
	| 'cancel'
	| 'hangup'
	| 'socketGone'
	| 'media:routerRtpCapabilities'
	| 'media:createTransport'
	| 'media:connectTransport'
	| 'media:restartIce'
	| 'media:produce'
	| 'media:producers'
	| 'media:consume'
	| 'media:resumeConsumer'
	| 'media:pauseConsumer'
	| 'media:setPreferredLayers'
	| 'media:pauseProducer'
	| 'media:resumeProducer'
	| 'media:closeProducer'
	| 'live:start'
	| 'live:watch'
	| 'live:leave'
	| 'live:end'
	| 'live:relay';

export interface HostRequest {
	op: HostOp;
	ctx: CallContext;
	/** The request's payload as the client sent it (checked by the chat node's schema). */
	input: Record<string, unknown>;
}

export type HostHandler = (request: HostRequest) => Promise<unknown>;

/** How a chat node reaches the media node that hosts a call: in this process, or over Redis. */
export interface MediaLink {
	request(node: string, request: HostRequest): Promise<unknown>;
	close(): Promise<void>;
}

interface Wire {
	id: number;
	from: string;
	request: HostRequest;
}
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: ErrorCode | 'internal'; message: string; fields?: Record<string, string> };

/** One process: the host is this process or nobody. */
export function localLink(self: string, handler: HostHandler | null): MediaLink {
	return {
		async request(node, request) {
			if (node !== self || !handler) throw new AppError('unavailable', `media node "${node}" is not reachable from this server`);
			return handler(request);
		},
		async close() {}
	};
}

/**
 * Request and reply over Redis pub/sub: each process listens on `media:reply:<its id>`, and a media
 * node also on `media:rpc:<its id>`. A request nobody listens for fails at once; one unanswered within
 * `timeoutMs` fails with `unavailable` (its late reply is dropped). A request to this process itself
 * skips Redis.
 */
export class RedisLink implements MediaLink {
	private readonly sub: Redis;
	private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
	private next = 1;
	private readonly ready: Promise<unknown>;

	constructor(
		private readonly options: { redis: Redis; prefix: string; self: string; handler: HostHandler | null; timeoutMs: number; log: Logger }
	) {
		this.sub = options.redis.duplicate();
		watchRedis(this.sub, 'media link subscriber', options.log);
		const channels = [this.channel('reply', options.self), ...(options.handler ? [this.channel('rpc', options.self)] : [])];
		this.ready = this.sub.subscribe(...channels);
		this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.receive(channel.toString(), message.toString()));
	}

	async request(node: string, request: HostRequest): Promise<unknown> {
		if (node === this.options.self && this.options.handler) return this.options.handler(request);
		await this.ready;
		const id = this.next++;
		const wire: Wire = { id, from: this.options.self, request };
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new AppError('unavailable', `the media node of this call did not answer within ${this.options.timeoutMs} ms; try again`));
			}, this.options.timeoutMs);
			this.pending.set(id, { resolve, reject, timer });
			this.options.redis.publish(this.channel('rpc', node), JSON.stringify(wire)).then(
				(receivers) => {
					if (receivers > 0) return;
					this.settle({ id, ok: false, code: 'unavailable', message: `the media node of this call (${node}) is gone; start the call again` });
				},
				(error: Error) => this.settle({ id, ok: false, code: 'unavailable', message: `the media node could not be reached: ${error.message}` })
			);
		});
	}

	async close(): Promise<void> {
		for (const [, p] of this.pending) {
			clearTimeout(p.timer);
			p.reject(new AppError('unavailable', 'this server is stopping'));
		}
		this.pending.clear();
		this.sub.disconnect();
	}

	private channel(kind: 'rpc' | 'reply', node: string): string {
		return `${this.options.prefix}media:${kind}:${node}`;
	}

	private receive(channel: string, raw: string): void {
		let message: unknown;
		try {
			message = JSON.parse(raw);
		} catch {
			return;
		}
		if (channel === this.channel('reply', this.options.self)) this.settle(message as Reply);
		else void this.serve(message as Wire);
	}

	private async serve(wire: Wire): Promise<void> {
		let reply: Reply;
		try {
			reply = { id: wire.id, ok: true, value: (await this.options.handler!(wire.request)) ?? null };
		} catch (error) {
			if (error instanceof AppError) reply = { id: wire.id, ok: false, code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}) };
			else {
				this.options.log.error(`media request "${wire.request.op}" failed`, error);
				reply = { id: wire.id, ok: false, code: 'internal', message: 'the media node failed' };
			}
		}
		await this.options.redis.publish(this.channel('reply', wire.from), JSON.stringify(reply)).catch((error) => this.options.log.warn('replying to a media request failed', { error: String(error) }));
	}

	private settle(reply: Reply): void {
		const p = this.pending.get(reply.id);
		if (!p) return;
		this.pending.delete(reply.id);
		clearTimeout(p.timer);
		if (reply.ok) p.resolve(reply.value);
		else if (reply.code === 'internal') p.reject(new Error(`media node: ${reply.message}`));
		else p.reject(new AppError(reply.code, reply.message, reply.fields ? { fields: reply.fields } : {}));
	}
}
