import { io as connect } from 'socket.io-client';
import type { Ack, ChatTicketResponse, Message, MessagesListResponse, ServerToClientEvents, ThreadsListResponse } from '../../src/lib/protocol/index.js';
import { signUp, until, type TestCluster } from './cluster.js';
import type { ClientSocket } from './parley.js';

// The clients of a test cluster (cluster.ts): devices that behave as the web client does.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Signs up and connects a device; the gateway picks its node. */
export async function user(cluster: TestCluster): Promise<Device> {
	const device = new Device(cluster, await signUp(cluster));
	await device.start();
	return device;
}

/** Another device of the same user (a new session), on whatever node the balancer picks. */
export async function otherDevice(cluster: TestCluster, of: Device): Promise<Device> {
	const login = await cluster.gateway.request('POST', '/api/auth/login', { body: { login: (of.login as any).user.username, password: (of.login as any).password } });
	if (login.status !== 200) throw new Error(`login of ${of.name}: ${login.status} ${JSON.stringify(login.body)}`);
	const device = new Device(cluster, login.body, `${of.name}'`);
	await device.start();
	return device;
}

/** Two users whose devices are on different nodes. */
export async function apart(cluster: TestCluster): Promise<[Device, Device]> {
	const a = await user(cluster);
	// The earlier tests' devices weigh on the nodes (a stopped one counts until its node's next beat), so
	// the least-loaded node can be a's for several sign-ups in a row.
	for (let i = 0; i < 15; i++) {
		const b = await user(cluster);
		if (b.node !== a.node) return [a, b];
		b.stop();
	}
	throw new Error('the balancer kept putting users on one node');
}

type EventName = keyof ServerToClientEvents;

/**
 * One device, as the web client behaves (src/lib/chat/connection.ts and docs/PROTOCOL.md, "how a
 * client keeps the promise"): every (re)connection takes a fresh ticket from the gateway, which names a
 * live node; `server:draining` moves it to another node; after each connect it fills every thread's gap
 * by seq and resends its outbox with the same clientIds. Sends are queued per device and sent one at a
 * time, so each device's messages are stored in the order it sent them.
 */
/** The payload of the first `event` on `device` (from its `after`-th event on) that `match` accepts; waits up to `timeoutMs`. */
export function waitEvent(device: Device, event: string, match: (p: any) => boolean, what: string, timeoutMs = 10_000, after = 0): Promise<any> {
	const found = () => device.events.slice(after).find((e) => e.event === event && match(e.payload))?.payload;
	return until(() => found() !== undefined, `${device.name}: ${what}`, timeoutMs, 20).then(found);
}

/** A signed-up user whose device is on `node` (signs up until the balancer puts one there; the others go to `spare`). */
export async function userOn(cluster: TestCluster, node: string, spare: Device[]): Promise<Device> {
	for (let i = 0; i < 12; i++) {
		const device = new Device(cluster, await signUp(cluster));
		await device.start();
		if (device.node === node) return device;
		spare.push(device);
	}
	throw new Error(`the balancer put no new user on ${node}`);
}

/** The lines of the live stream `liveId` in `threadId`, as `device` has them. */
export const liveLines = (device: Device, threadId: string, liveId: string): Message[] => device.thread(threadId).filter((m) => m.kind === 'live' && m.clientId === liveId);

export class Device {
	socket: ClientSocket | null = null;
	/** The node of each connection, in order. */
	readonly nodes: string[] = [];
	/** Messages held per thread, by seq. */
	readonly held = new Map<string, Map<number, Message>>();
	/** `message:new` arrivals per socket connection and message id (a duplicate on one connection is a bug). */
	readonly arrivals: Array<Map<string, number>> = [];
	/** Every event of these names received, over all connections. */
	readonly events: Array<{ event: EventName; payload: any; node: string }> = [];
	/** Error acks the "user" would see (refused requests), not transport failures that are retried. */
	readonly errors: Array<{ event: string; error: unknown }> = [];
	/** When each reconnection after a lost connection completed (ms since epoch). */
	readonly reconnectedAt: number[] = [];
	#outbox: Array<{ threadId: string; clientId: string; text: string; resolve: (m: Message) => void; reject: (e: unknown) => void }> = [];
	#sending = false;
	#stopped = false;
	#connecting: Promise<void> | null = null;
	#inFlight = 0;
	#moving = false;

	constructor(
		readonly cluster: TestCluster,
		readonly login: { token: string; user: { id: string }; chat?: { url: string; ticket: string } },
		readonly name = login.user.id
	) {}

	get node(): string {
		return this.nodes.at(-1) ?? 'none';
	}

	get connected(): boolean {
		return !!this.socket?.connected;
	}

	/** Connects (with the login's ticket the first time, else a fresh one); resolves once synced. */
	start(): Promise<void> {
		return this.#connect(true);
	}

	stop(): void {
		this.#stopped = true;
		this.socket?.disconnect();
	}

	/** Queues a message; resolves with the stored message once acked (however many reconnects it takes). */
	send(threadId: string, text: string, clientId = crypto.randomUUID()): Promise<Message> {
		return new Promise((resolve, reject) => {
			this.#outbox.push({ threadId, clientId, text, resolve, reject });
			void this.#flush();
		});
	}

	/** A request on the current socket (waits for a connection); retried on transport failure. */
	async request<T extends object = any>(event: string, payload: unknown): Promise<Ack<T>> {
		for (let attempt = 0; ; attempt++) {
			await until(() => this.connected && !this.#moving, `${this.name} to be connected`, 30_000, 20);
			const socket = this.socket!;
			this.#inFlight++;
			try {
				const ack = await (socket.timeout(5_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<T>> }).emitWithAck(event, payload);
				if (!ack.ok) this.errors.push({ event, error: ack.error });
				return ack;
			} catch (error) {
				if (attempt > 20) throw error;
			} finally {
				this.#inFlight--;
			}
		}
	}

	/** Messages of a thread held, in seq order. */
	thread(threadId: string): Message[] {
		return [...(this.held.get(threadId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
	}

	/** Highest seq up to which every message of the thread is held. */
	contiguous(threadId: string): number {
		const map = this.held.get(threadId);
		let seq = 0;
		while (map?.has(seq + 1)) seq++;
		return seq;
	}

	async #ticket(): Promise<{ url: string; ticket: string }> {
		const res = await this.cluster.gateway.request<ChatTicketResponse>('POST', '/api/auth/chat-ticket', { token: this.login.token });
		if (res.status !== 200) throw new Error(`chat-ticket: ${res.status} ${JSON.stringify(res.body)}`);
		return res.body.chat;
	}

	#connect(first = false): Promise<void> {
		if (this.#connecting) return this.#connecting;
		this.#connecting = (async () => {
			for (let attempt = 0; !this.#stopped; attempt++) {
				try {
					const endpoint = first && attempt === 0 && this.login.chat ? this.login.chat : await this.#ticket();
					const socket = await this.#open(endpoint);
					const old = this.socket;
					this.socket = socket;
					this.#moving = false;
					old?.disconnect();
					await this.#resync(socket);
					if (!first) this.reconnectedAt.push(Date.now());
					void this.#flush();
					return;
				} catch {
					await sleep(Math.min(1000, 100 * 2 ** Math.min(attempt, 4)));
				}
			}
		})().finally(() => (this.#connecting = null));
		return this.#connecting;
	}

	#open(endpoint: { url: string; ticket: string }): Promise<ClientSocket> {
		const node = this.cluster.nodeOf(endpoint.url);
		const socket: ClientSocket = connect(endpoint.url, { auth: { ticket: endpoint.ticket }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5_000 });
		const arrivals = new Map<string, number>();
		for (const event of [
			'message:new',
			'message:status',
			'message:changed',
			'friends:requested',
			'friends:added',
			'friends:removed',
			'presence',
			'typing',
			'user:updated',
			'session:ended',
			'server:draining',
			'thread:updated',
			'thread:removed',
			'call:ring',
			'call:accepted',
			'call:updated',
			'call:ended',
			'media:newProducer',
			'media:producerClosed',
			'media:activeSpeaker',
			'live:started',
			'live:updated',
			'live:ended'
		] as EventName[]) {
			(socket.on as (e: string, l: (p: any) => void) => void)(event, (payload) => {
				this.events.push({ event, payload, node });
				if (event === 'message:new') {
					arrivals.set(payload.message.id, (arrivals.get(payload.message.id) ?? 0) + 1);
					this.#store(payload.message);
					if (payload.message.seq > this.contiguous(payload.message.threadId) + 1) void this.#fill(socket, payload.message.threadId).catch(() => {});
				}
			});
		}
		socket.on('server:draining', ({ withinMs }) => void this.#move(socket, withinMs));
		socket.on('session:ended', () => {
			this.#stopped = true;
		});
		socket.on('disconnect', () => {
			if (this.socket === socket && !this.#stopped) void this.#connect();
		});
		return new Promise((resolve, reject) => {
			socket.once('connect', () => {
				this.nodes.push(node);
				this.arrivals.push(arrivals);
				resolve(socket);
			});
			socket.once('connect_error', (error) => {
				socket.disconnect();
				reject(error);
			});
		});
	}

	/** The node is draining: stop starting requests, let those in flight finish, then move. */
	async #move(socket: ClientSocket, withinMs: number): Promise<void> {
		await sleep(Math.random() * withinMs);
		if (this.socket !== socket || this.#stopped) return;
		this.#moving = true;
		await until(() => this.#inFlight === 0 || !socket.connected, 'requests in flight to finish', 5_000, 5).catch(() => {});
		await this.#connect();
	}

	#store(message: Message): void {
		let map = this.held.get(message.threadId);
		if (!map) this.held.set(message.threadId, (map = new Map()));
		const held = map.get(message.seq);
		if (held && held.id !== message.id) throw new Error(`seq ${message.seq} of thread ${message.threadId} is both ${held.id} and ${message.id}`);
		map.set(message.seq, message);
	}

	async #fill(socket: ClientSocket, threadId: string): Promise<void> {
		for (;;) {
			const ack = await (socket.timeout(5_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<MessagesListResponse>> }).emitWithAck('messages:list', {
				threadId,
				afterSeq: this.contiguous(threadId),
				limit: 100
			});
			if (!ack.ok) throw new Error(JSON.stringify(ack.error));
			for (const m of ack.messages) this.#store(m);
			if (!ack.hasMore) return;
		}
	}

	/** After a connect: learn every thread's lastSeq and fill what is missing. */
	async #resync(socket: ClientSocket): Promise<void> {
		const ack = await (socket.timeout(5_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<ThreadsListResponse>> }).emitWithAck('threads:list', { limit: 100 });
		if (!ack.ok) throw new Error(JSON.stringify(ack.error));
		await Promise.all(ack.threads.filter((t) => t.lastSeq > this.contiguous(t.id)).map((t) => this.#fill(socket, t.id)));
	}

	async #flush(): Promise<void> {
		if (this.#sending) return;
		this.#sending = true;
		try {
			while (this.#outbox.length > 0 && !this.#stopped) {
				const item = this.#outbox[0];
				const ack = await this.request<{ message: Message }>('messages:send', { threadId: item.threadId, clientId: item.clientId, text: item.text });
				if (ack.ok) {
					this.#store(ack.message);
					this.#outbox.shift();
					item.resolve(ack.message);
				} else if (ack.error.code === 'rate_limited') {
					await sleep(500);
				} else {
					this.#outbox.shift();
					item.reject(new Error(JSON.stringify(ack.error)));
				}
			}
		} finally {
			this.#sending = false;
		}
	}
}
