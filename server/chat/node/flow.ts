import type { Socket as NetSocket } from 'node:net';
import { rateLimited, type AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';

/** Per-socket bounds on requests and unread output; every number can be overridden (tests use other ones). */
export interface FlowLimits {
	/** Requests one socket may have running at once; more wait in its queue. Default 16. */
	maxInFlight: number;
	/**
	 * Requests that may wait behind those (started in arrival order as others finish); one more is
	 * refused with `rate_limited` at once. Default 64: a client that reconnects and fills the gaps of
	 * all its open threads at once is served, a script that fires hundreds is told to wait.
	 */
	maxQueued: number;
	/**
	 * Bytes of answers and events queued for one socket that its client has not read yet. Above it the
	 * node refuses the socket's requests with `rate_limited` and stops reading from its connection until
	 * the queue is below half of it. Default 4 MiB.
	 */
	maxBufferedBytes: number;
}

export const DEFAULT_FLOW_LIMITS: FlowLimits = { maxInFlight: 16, maxQueued: 64, maxBufferedBytes: 4 * 1024 * 1024 };

/** What `SocketFlow` reads of engine.io's connection (`socket.conn`); engine.io does not type `writeBuffer`. */
export interface EngineConnection {
	/** Packets engine.io holds while its transport is busy writing (socket.io hands it encoded strings). */
	readonly writeBuffer?: ReadonlyArray<{ data?: unknown }>;
	readonly transport: { readonly name: string; readonly socket?: unknown };
}

/** The `ws` WebSocket under engine.io's websocket transport: what it has not written yet, and its TCP socket. */
interface RawWebSocket {
	readonly bufferedAmount: number;
	readonly _socket?: NetSocket;
}

/** How often a paused socket's queue is looked at besides on 'drain': a safety net, not the mechanism. */
const RECHECK_MS = 500;

/**
 * Flow control for one chat socket, so that a client that sends requests faster than it reads the
 * answers cannot make the node hold unbounded memory (issue 10, item 2). Two bounds:
 *
 * - at most `maxInFlight` requests are worked on at once (each holds a database result until it is
 *   acked) and `maxQueued` more wait their turn; beyond that a request is refused, and
 * - backpressure: while more than `maxBufferedBytes` wait to be written to the client (engine.io's
 *   write buffer plus what the `ws` socket and the kernel have not taken), requests are refused, both
 *   new ones and queued ones whose turn comes, and the TCP socket is paused, so the client's further
 *   requests stay in its own buffers. Reading resumes when the output has drained below half the
 *   bound (looked at on the TCP socket's 'drain').
 *
 * A client that stops reading altogether stops answering pings too, and socket.io closes it after
 * `pingInterval + pingTimeout`; until then it costs the node at most about `maxBufferedBytes` plus
 * `maxInFlight` answers.
 */
export class SocketFlow {
	#inFlight = 0;
	// Made when first needed, as is the `drain` listener: every idle socket has a flow, few ever queue or pause.
	#queue: Array<{ request: () => Promise<void>; refuse: (error: AppError) => void }> | null = null;
	#paused: NetSocket | null = null;
	#timer: NodeJS.Timeout | null = null;
	#check: (() => void) | null = null;

	constructor(
		private readonly conn: EngineConnection,
		private readonly limits: FlowLimits,
		private readonly log: Logger
	) {}

	/** Requests running. */
	get inFlight(): number {
		return this.#inFlight;
	}

	/** Requests waiting for a slot. */
	get queued(): number {
		return this.#queue?.length ?? 0;
	}

	/**
	 * Runs `request` now, or when a slot frees, or refuses it: calls `refuse` with the `rate_limited`
	 * error to answer with (at once, or when its turn comes while the client is behind on reading).
	 */
	submit(request: () => Promise<void>, refuse: (error: AppError) => void): void {
		const behind = this.#behind();
		if (behind) return refuse(behind);
		if (this.#inFlight < this.limits.maxInFlight) return this.#start(request);
		if (this.queued < this.limits.maxQueued) {
			(this.#queue ??= []).push({ request, refuse });
			return;
		}
		refuse(rateLimited(1, `too many requests at once on this connection (at most ${this.limits.maxInFlight} running and ${this.limits.maxQueued} waiting)`));
	}

	/** Bytes queued for the client and not yet handed to the kernel (strings counted by their length). */
	buffered(): number {
		let bytes = 0;
		for (const packet of this.conn.writeBuffer ?? []) {
			const data = packet.data;
			if (typeof data === 'string') bytes += data.length;
			else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) bytes += data.byteLength;
		}
		return bytes + (this.#webSocket()?.bufferedAmount ?? 0);
	}

	/** Drops the queue (nobody is left to answer), resumes reading and stops watching; call on disconnect. */
	close(): void {
		this.#queue = null;
		this.#resume();
	}

	/** The error for a client that has not read enough of what it was sent; pauses reading from it. */
	#behind(): AppError | null {
		const buffered = this.buffered();
		if (buffered <= this.limits.maxBufferedBytes) return null;
		this.#pause(buffered);
		return rateLimited(1, `the server is waiting for this connection to read its earlier answers (over ${mib(this.limits.maxBufferedBytes)} unread)`);
	}

	#start(request: () => Promise<void>): void {
		this.#inFlight++;
		// `request` answers its own failures (dispatch never rejects); the catch only keeps a bug quiet here.
		void request()
			.catch(() => undefined)
			.finally(() => {
				this.#inFlight--;
				this.#next();
			});
	}

	#next(): void {
		while (this.#inFlight < this.limits.maxInFlight && this.#queue && this.#queue.length > 0) {
			const { request, refuse } = this.#queue.shift()!;
			const behind = this.#behind();
			if (behind) refuse(behind);
			else this.#start(request);
		}
	}

	#webSocket(): RawWebSocket | undefined {
		const { transport } = this.conn;
		// Polling has no connection of its own to pause: its answers wait in `writeBuffer` for the next poll.
		return transport.name === 'websocket' ? (transport.socket as RawWebSocket | undefined) : undefined;
	}

	#pause(buffered: number): void {
		if (this.#paused) {
			// `ws` resumes its socket itself in some paths (its receiver's own backpressure): pause again.
			if (!this.#paused.isPaused()) this.#paused.pause();
			return;
		}
		const tcp = this.#webSocket()?._socket;
		if (!tcp || tcp.destroyed) return;
		this.log.debug(`${buffered} bytes unread by the client: not reading from it until they drain`);
		tcp.pause();
		const check = (this.#check ??= () => this.#maybeResume());
		tcp.on('drain', check);
		this.#paused = tcp;
		this.#timer = setInterval(check, RECHECK_MS);
		this.#timer.unref();
	}

	#maybeResume(): void {
		if (this.#paused && (this.#paused.destroyed || this.buffered() <= this.limits.maxBufferedBytes / 2)) this.#resume();
	}

	#resume(): void {
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
		const tcp = this.#paused;
		this.#paused = null;
		if (!tcp) return;
		if (this.#check) tcp.off('drain', this.#check);
		if (!tcp.destroyed) tcp.resume();
		this.log.debug('the client caught up: reading from it again');
	}
}

function mib(bytes: number): string {
	return bytes >= 1024 * 1024 ? `${+(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
