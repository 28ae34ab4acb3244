import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { io as connect } from 'socket.io-client';
import type { Ack, ChatTicketResponse, LoginResponse, Message, MessagesListResponse, ServerToClientEvents, ThreadsListResponse } from '../../src/lib/protocol/index.js';
import { REDIS_URL, type BackendName } from './backends.js';
import { freePort, startParley, type ClientSocket, type TestParley } from './parley.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` is true, polling; throws `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, everyMs = 50): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await check()) return;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
}

/** A chat node in a child process (`node --import tsx server/main.ts`, no build needed). */
export interface ChatChild {
	name: string;
	url: string;
	process: ChildProcess;
	/** Everything it printed, stdout and stderr. */
	output: string[];
	/** Resolves with its exit code (null when killed by a signal) and the signal. */
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	alive(): boolean;
}

export interface TestCluster {
	/** The gateway, in this process (ROLES=gateway): sign-ups, logins, tickets, logout. */
	gateway: TestParley;
	nodes: Map<string, ChatChild>;
	/** This run's REDIS_PREFIX: its nodes, presence and channels are private to it. */
	prefix: string;
	heartbeatMs: number;
	redis: Redis;
	/** Starts one more chat node; resolves once the gateway sees it alive. */
	spawnNode(name: string, env?: Record<string, string>): Promise<ChatChild>;
	/** The live nodes as the gateway's /healthz lists them. */
	liveNodes(): Promise<Array<{ id: string; url: string; connections: number; draining: boolean }>>;
	/** The node a chat URL belongs to. */
	nodeOf(url: string): string;
	stop(): Promise<void>;
}


/**
 * A cluster on this machine, on real Redis and the given database: a gateway in this process and
 * `nodes` chat nodes as child processes (`chat-1` …), each with its own port and PUBLIC_URL. Every
 * Redis key of the run sits under its own prefix, so test files running side by side do not meet.
 */
export async function startCluster(options: { backend: BackendName; nodes?: number; heartbeatMs?: number; drainTimeoutMs?: number }): Promise<TestCluster> {
	// 500 ms: a node is dead after 1.5 s, which a busy test machine never reaches by a slow beat.
	const heartbeatMs = options.heartbeatMs ?? 500;
	const prefix = `parley-test:${randomBytes(4).toString('hex')}:`;
	const env = { REDIS_PREFIX: prefix, NODE_HEARTBEAT_MS: String(heartbeatMs) };
	const gateway = await startParley(options.backend, {
		redis: true,
		clientIp: `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`,
		env: { ...env, ROLES: 'gateway', NODE_ID: 'gateway' },
		parley: { limits: { codesPerIp: 100_000, loginFailuresPerIp: 100_000 } }
	});
	const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
	await redis.connect();
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-cluster-'));
	const nodes = new Map<string, ChatChild>();
	const urls = new Map<string, string>();

	const liveNodes: TestCluster['liveNodes'] = async () => (await gateway.request('GET', '/healthz')).body.nodes ?? [];

	async function spawnNode(name: string, extra: Record<string, string> = {}): Promise<ChatChild> {
		const port = await freePort();
		const url = `http://127.0.0.1:${port}`;
		const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
			cwd: ROOT,
			env: {
				PATH: process.env.PATH,
				HOME: process.env.HOME,
				...env,
				ROLES: 'chat',
				PORT: String(port),
				HOST: '127.0.0.1',
				PUBLIC_URL: url,
				NODE_ID: name,
				DATABASE_URL: gateway.database.url,
				REDIS_URL,
				DATA_DIR: path.join(dataDir, name),
				DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs ?? 8000),
				LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
				...extra
			},
			stdio: ['ignore', 'pipe', 'pipe']
		});
		const output: string[] = [];
		for (const stream of [child.stdout!, child.stderr!]) {
			stream.setEncoding('utf8');
			stream.on('data', (chunk: string) => {
				output.push(chunk);
				if (process.env.TEST_CLUSTER_LOGS) process.stderr.write(chunk.replace(/^(?=.)/gm, `[${name}] `));
			});
		}
		const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
		let done = false;
		void exited.then(() => (done = true));
		const node: ChatChild = { name, url, process: child, output, exited, alive: () => !done };
		nodes.set(name, node);
		urls.set(url, name);
		if (extra.REDIS_URL === '') return node;
		// A media node (ROLES=media) registers in the media registry, not among the chat nodes.
		const media = extra.ROLES === 'media';
		try {
			await until(async () => {
				if (done) throw new Error(`${media ? 'media' : 'chat'} node ${name} exited while starting:\n${output.join('')}`);
				if (media) return (await redis.hexists(`${prefix}media:info`, name)) === 1;
				return (await liveNodes()).some((n) => n.id === name);
			}, `node ${name} to register`, 60_000, 100);
		} catch (error) {
			child.kill('SIGKILL');
			throw error;
		}
		return node;
	}

	await Promise.all(Array.from({ length: options.nodes ?? 3 }, (_, i) => spawnNode(`chat-${i + 1}`)));

	return {
		gateway,
		nodes,
		prefix,
		heartbeatMs,
		redis,
		spawnNode,
		liveNodes,
		nodeOf: (url) => urls.get(url) ?? `unknown node ${url}`,
		async stop() {
			await Promise.all(
				[...nodes.values()].map(async (node) => {
					if (!node.alive()) return;
					node.process.kill('SIGKILL');
					await node.exited;
				})
			);
			await gateway.stop();
			const keys = await redis.keys(`${prefix}*`);
			if (keys.length > 0) await redis.del(...keys);
			await redis.quit();
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

/** Signs up through the gateway; returns the login (its chat URL names the node the balancer chose). */
export function signUp(cluster: TestCluster): Promise<LoginResponse & { password: string }> {
	return cluster.gateway.signUp();
}

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
			'media:activeSpeaker'
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
