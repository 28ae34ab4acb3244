import { io, type Socket } from 'socket.io-client';
import { api, ApiError } from '$lib/api';
import type { Ack, ChatEndpoint, ChatTicketRequest, ChatTicketResponse, ClientToServerEvents, ServerToClientEvents, SessionEndReason } from '$lib/protocol';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = 'connecting' | 'online' | 'offline' | 'ended';

export interface ConnectionEvents {
	/** A socket is up (first time or after any reconnect): resync state from it. */
	connected(socket: ChatSocket): void;
	state(state: ConnectionState): void;
	/** The session is over (signed out elsewhere, password changed, expired): stop for good. */
	ended(reason: SessionEndReason | 'expired'): void;
}

/** Thrown by `request` when the socket is down or the server did not answer in time. */
export class NotConnectedError extends Error {
	constructor(message = 'not connected') {
		super(message);
		this.name = 'NotConnectedError';
	}
}

/** A refused socket request: the ack's error. */
export class RequestError extends Error {
	constructor(
		readonly code: string,
		message: string,
		/** Which fields were wrong (`invalid_input`), when the server said. */
		readonly fields?: Record<string, string>
	) {
		super(message);
		this.name = 'RequestError';
	}
}

const BACKOFF_MS = [250, 1000, 2000, 4000, 8000, 15000];

/**
 * Keeps one socket to a chat node. Each (re)connection asks the gateway for a fresh ticket, which also
 * names the node to use, so a client whose node died or drained moves to a live one by itself.
 * socket.io's own reconnection is off for that reason: its URL would be fixed.
 */
export class ChatConnection {
	#socket: ChatSocket | null = null;
	#attempt = 0;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#stopped = false;
	#state: ConnectionState = 'connecting';
	#first: ChatEndpoint | undefined;
	#unlisten: Array<() => void> = [];
	/** Bumped by every connection attempt, so an older attempt still waiting for its ticket gives up. */
	#generation = 0;
	/**
	 * The URL of the last chat node we failed to connect to since we were last online: the next ticket
	 * request asks the gateway to name another one (`avoid`), as a crashed node stays in its registry
	 * until its heartbeat expires.
	 */
	#avoid: string | undefined;

	constructor(
		private readonly events: ConnectionEvents,
		/** The endpoint a fresh login returned, used for the first connection. */
		first?: ChatEndpoint
	) {
		this.#first = first;
		if (typeof window !== 'undefined') {
			const offline = () => {
				if (this.#stopped) return;
				this.#socket?.disconnect();
				this.#lost();
			};
			const online = () => this.reconnectNow();
			window.addEventListener('offline', offline);
			window.addEventListener('online', online);
			this.#unlisten.push(() => window.removeEventListener('offline', offline), () => window.removeEventListener('online', online));
		}
	}

	get state(): ConnectionState {
		return this.#state;
	}

	get socket(): ChatSocket | null {
		return this.#socket?.connected ? this.#socket : null;
	}

	start(): void {
		void this.#connect();
	}

	stop(): void {
		this.#stopped = true;
		if (this.#timer) clearTimeout(this.#timer);
		this.#socket?.disconnect();
		this.#socket = null;
		for (const off of this.#unlisten.splice(0)) off();
	}

	/** Skips the back-off wait (the browser says it is online again). */
	reconnectNow(): void {
		if (this.#stopped || this.#socket?.connected) return;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		this.#attempt = 0;
		// An attempt may be hanging on a dead network: drop it rather than run two side by side.
		this.#socket?.disconnect();
		this.#socket = null;
		void this.#connect();
	}

	/** Sends a request and resolves with its ack data; rejects with RequestError or NotConnectedError. */
	async request<E extends keyof ClientToServerEvents>(
		event: E,
		payload: Parameters<ClientToServerEvents[E]>[0],
		timeoutMs = 10_000
	): Promise<AckData<E>> {
		const socket = this.socket;
		if (!socket) throw new NotConnectedError();
		let ack: Ack<object>;
		try {
			// socket.io's typed emitWithAck cannot follow a generic event name; the shapes are the contract's.
			ack = await (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<object>> }).emitWithAck(event, payload);
		} catch {
			throw new NotConnectedError(`no answer to ${event} within ${timeoutMs / 1000} s`);
		}
		if (!ack.ok) throw new RequestError(ack.error.code, ack.error.message, ack.error.fields);
		return ack as AckData<E>;
	}

	#setState(state: ConnectionState) {
		if (this.#state === state) return;
		this.#state = state;
		this.events.state(state);
	}

	async #endpoint(): Promise<ChatEndpoint | null> {
		if (this.#first) {
			const first = this.#first;
			this.#first = undefined;
			return first;
		}
		try {
			return (await api.post<ChatTicketResponse>('/api/auth/chat-ticket', this.#avoid ? ({ avoid: this.#avoid } satisfies ChatTicketRequest) : undefined)).chat;
		} catch (error) {
			if (error instanceof ApiError && error.code === 'unauthorized') {
				this.#end('expired');
				return null;
			}
			throw error;
		}
	}

	async #connect(): Promise<void> {
		if (this.#stopped) return;
		const generation = ++this.#generation;
		this.#setState(this.#attempt === 0 && this.#state !== 'offline' ? 'connecting' : 'offline');
		let endpoint: ChatEndpoint | null;
		try {
			endpoint = await this.#endpoint();
		} catch {
			if (generation === this.#generation) this.#lost();
			return;
		}
		if (!endpoint || this.#stopped || generation !== this.#generation) return;
		const socket: ChatSocket = io(endpoint.url, {
			auth: { ticket: endpoint.ticket },
			reconnection: false,
			forceNew: true,
			transports: ['websocket']
		});
		this.#socket?.disconnect();
		this.#socket = socket;
		socket.on('connect', () => {
			this.#attempt = 0;
			this.#avoid = undefined;
			this.#setState('online');
			this.events.connected(socket);
		});
		socket.on('connect_error', () => {
			if (this.#socket !== socket || this.#stopped) return;
			// The node named could not be reached (crashed, stopping, or cut off). The first time since we
			// were online, ask at once for a ticket to another node instead of waiting a back-off step;
			// after that, back off as usual (still avoiding the last one), so that a client that can reach
			// no node does not hop between them without pause.
			const first = this.#avoid === undefined;
			this.#avoid = endpoint.url;
			if (first && !this.#timer) void this.#connect();
			else this.#lost();
		});
		socket.on('disconnect', (reason) => {
			if (this.#socket !== socket || this.#stopped) return;
			if (reason === 'io client disconnect') return;
			this.#lost();
		});
		socket.on('session:ended', ({ reason }) => this.#end(reason));
		// The node is stopping (docs/PROTOCOL.md, server:draining): at a random moment in the window it
		// gives, so its clients do not all arrive at once, move to the node a fresh ticket names.
		socket.on('server:draining', ({ withinMs }) => {
			setTimeout(() => {
				if (this.#socket !== socket || this.#stopped) return;
				socket.disconnect();
				this.reconnectNow();
			}, Math.random() * withinMs);
		});
	}

	#lost() {
		if (this.#stopped || this.#timer) return;
		this.#setState('offline');
		const delay = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)] * (0.75 + Math.random() / 2);
		this.#attempt++;
		this.#timer = setTimeout(() => {
			this.#timer = null;
			void this.#connect();
		}, delay);
	}

	#end(reason: SessionEndReason | 'expired') {
		if (this.#stopped) return;
		this.stop();
		this.#setState('ended');
		this.events.ended(reason);
	}
}

type AckData<E extends keyof ClientToServerEvents> = ClientToServerEvents[E] extends (payload: never, ack: (response: infer A) => void) => void
	? Extract<A, { ok: true }>
	: ClientToServerEvents[E] extends (payload: never, ack?: (response: infer A) => void) => void
		? Extract<A, { ok: true }>
		: never;
