import { io as connect } from 'socket.io-client';
import type { Ack, ChatTicketResponse, Message, MessagesListResponse, MessageResponse } from '../../src/lib/protocol/index.js';
import type { ClientSocket } from './parley.js';

// A lean device for load tests: one socket, one private thread, the web client's promise kept by hand
// (docs/PROTOCOL.md, "how a client keeps the promise"): every (re)connection takes a fresh ticket, then
// fills the thread's gap by seq and resends its unacked messages with the same clientIds. `cut()`
// drops the connection as a network would (the TCP socket destroyed, no close frame), and the device
// reconnects on its own. What it was acked and what it received are kept for the test to check.

export interface LoadPeer {
	userId: string;
	token: string;
	threadId: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LoadClient {
	socket: ClientSocket | null = null;
	/** clientId -> the stored message its ack (or a resend's ack) named. */
	readonly acked = new Map<string, Message>();
	/** The thread's messages this device holds (live or gap-filled), by seq. */
	readonly held = new Map<number, Message>();
	/** `message:new` with an id already delivered on the same connection: a double delivery. */
	doubled = 0;
	/** Error acks other than the ones a cut explains. */
	readonly errors: string[] = [];
	reconnects = 0;
	/** Sends refused for a moment (`rate_limited`, `unavailable`) and sent again. */
	retried = 0;
	#outbox = new Map<string, string>();
	#stopped = false;
	#connecting: Promise<void> | null = null;
	#sent = 0;

	constructor(
		readonly baseUrl: string,
		readonly me: LoadPeer,
		readonly name: string
	) {}

	get connected(): boolean {
		return !!this.socket?.connected;
	}

	get unacked(): number {
		return this.#outbox.size;
	}

	start(): Promise<void> {
		return this.#connect();
	}

	/** Queues the next message and sends it if connected; a cut leaves it for the resend after reconnecting. */
	sendNext(): void {
		const clientId = crypto.randomUUID();
		this.#outbox.set(clientId, `${this.name} #${++this.#sent}`);
		if (this.connected) void this.#send(this.socket!, clientId);
	}

	/** Drops the connection abruptly, as a lost network does; the device reconnects after `pauseMs`. */
	cut(pauseMs: number): void {
		const socket = this.socket;
		if (!socket?.connected) return;
		const transport = (socket.io.engine as unknown as { transport?: { ws?: { terminate?: () => void } } }).transport;
		if (transport?.ws?.terminate) transport.ws.terminate();
		else socket.io.engine.close();
		void sleep(pauseMs).then(() => this.#connect());
	}

	stop(): void {
		this.#stopped = true;
		this.socket?.disconnect();
		this.socket = null;
	}

	/** Every message of the thread from seq 1, as the server has it now. */
	async history(): Promise<Message[]> {
		const all: Message[] = [];
		for (let hasMore = true; hasMore; ) {
			const page = await this.#request<MessagesListResponse>('messages:list', { threadId: this.me.threadId, afterSeq: all.at(-1)?.seq ?? 0, limit: 100 });
			all.push(...page.messages);
			hasMore = page.hasMore;
		}
		return all;
	}

	#connect(): Promise<void> {
		if (this.#connecting) return this.#connecting;
		// Both a cut and its socket's 'disconnect' ask for a reconnect: the second finds it done.
		if (this.connected) return Promise.resolve();
		this.#connecting = (async () => {
			for (let attempt = 0; !this.#stopped; attempt++) {
				try {
					const endpoint = await this.#ticket();
					const socket = await this.#open(endpoint);
					if (this.#stopped) {
						socket.disconnect();
						return;
					}
					const first = this.socket === null;
					this.socket?.disconnect();
					this.socket = socket;
					try {
						await this.#fillGap();
					} catch (error) {
						socket.disconnect();
						throw error;
					}
					for (const clientId of this.#outbox.keys()) void this.#send(socket, clientId);
					if (!first) this.reconnects++;
					return;
				} catch (error) {
					if (process.env.LOAD_DEBUG) process.stderr.write(`${this.name}: connect failed: ${(error as Error).message}\n`);
					await sleep(Math.min(1_000, 50 * 2 ** Math.min(attempt, 5)));
				}
			}
		})().finally(() => (this.#connecting = null));
		return this.#connecting;
	}

	async #ticket(): Promise<{ url: string; ticket: string }> {
		const res = await fetch(`${this.baseUrl}/api/auth/chat-ticket`, { method: 'POST', headers: { authorization: `Bearer ${this.me.token}` }, signal: AbortSignal.timeout(10_000) });
		if (res.status !== 200) throw new Error(`chat-ticket: ${res.status}`);
		return ((await res.json()) as ChatTicketResponse).chat;
	}

	#open(endpoint: { url: string; ticket: string }): Promise<ClientSocket> {
		const socket: ClientSocket = connect(endpoint.url, { auth: { ticket: endpoint.ticket }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000 });
		const seen = new Set<string>();
		socket.on('message:new', ({ message }) => {
			if (message.threadId !== this.me.threadId) return;
			if (seen.has(message.id)) this.doubled++;
			seen.add(message.id);
			this.held.set(message.seq, message);
		});
		socket.on('disconnect', () => {
			// A cut schedules its own reconnect; a drop by the server (or anything else) reconnects here.
			if (!this.#stopped && this.socket === socket) void sleep(200).then(() => this.#connect());
		});
		return new Promise((resolve, reject) => {
			socket.once('connect', () => resolve(socket));
			socket.once('connect_error', (error) => {
				socket.disconnect();
				reject(error);
			});
		});
	}

	/** From the highest seq held without a gap, every newer message (PROTOCOL's gap fill). */
	async #fillGap(): Promise<void> {
		for (let hasMore = true; hasMore; ) {
			let after = 0;
			while (this.held.has(after + 1)) after++;
			const page = await this.#request<MessagesListResponse>('messages:list', { threadId: this.me.threadId, afterSeq: after, limit: 100 });
			for (const message of page.messages) this.held.set(message.seq, message);
			hasMore = page.hasMore;
		}
	}

	async #send(socket: ClientSocket, clientId: string): Promise<void> {
		const text = this.#outbox.get(clientId);
		if (text === undefined) return;
		let ack: Ack<MessageResponse>;
		try {
			ack = await (socket.timeout(15_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<MessageResponse>> }).emitWithAck('messages:send', { threadId: this.me.threadId, clientId, text });
		} catch {
			// No answer: after a cut the reconnect resends it; on a socket still up (a slow server), the
			// same clientId goes again shortly, as the web client does (src/lib/chat/sender.svelte.ts).
			if (socket.connected && socket === this.socket) void sleep(3_000).then(() => {
				if (this.socket === socket) void this.#send(socket, clientId);
			});
			return;
		}
		if (ack.ok) {
			this.acked.set(clientId, ack.message);
			this.#outbox.delete(clientId);
		} else if (ack.error.code === 'rate_limited' || ack.error.code === 'unavailable') {
			// Nothing was stored: again shortly (the web client's rule).
			this.retried++;
			void sleep(2_000).then(() => {
				if (this.socket === socket && socket.connected) void this.#send(socket, clientId);
			});
		} else if (socket.connected) this.errors.push(`${ack.error.code}: ${ack.error.message}`);
	}

	async #request<T extends object>(event: string, payload: unknown): Promise<T> {
		const socket = this.socket;
		if (!socket?.connected) throw new Error(`${this.name}: not connected`);
		const ack = await (socket.timeout(15_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<T>> }).emitWithAck(event, payload);
		if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
		return ack as unknown as T;
	}
}
