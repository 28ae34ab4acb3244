import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { createParley, type Parley, type ParleyOptions } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { configureLogging } from '../../server/logger.js';
import type { ClientToServerEvents, LoginResponse, ServerToClientEvents } from '../../src/lib/protocol/index.js';
import { createTestDatabase, REDIS_URL, type BackendName, type TestDatabase } from './backends.js';
import { LoopbackPushService } from './push.js';
import { SmtpCatcher } from './smtp.js';

configureLogging({ level: (process.env.TEST_LOG_LEVEL as 'error') ?? 'error' });

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestParley {
	parley: Parley;
	/** `http://127.0.0.1:<port>` */
	baseUrl: string;
	/** Put before its Redis keys (with `redis: true`): its own unless the test's `env` names one. */
	redisPrefix: string;
	smtp: SmtpCatcher;
	database: TestDatabase;
	/** fetch against the server with a JSON body; returns status, headers and parsed body. */
	request<T = any>(method: string, path: string, options?: RequestOptions): Promise<{ status: number; headers: Headers; body: T }>;
	/** Registers through the real endpoints (code read from the SMTP catcher) and signs in. */
	signUp(options?: { username?: string; password?: string; email?: string; displayName?: string; ip?: string }): Promise<LoginResponse & { password: string }>;
	/** Opens a socket.io client with a ticket; resolves once connected. */
	connectSocket(ticket: string, url?: string): Promise<ClientSocket>;
	stop(): Promise<void>;
}

export interface RequestOptions {
	/** Sent as JSON (content-type application/json unless `headers` says otherwise). */
	body?: unknown;
	/** Sent as `Authorization: Bearer …`. */
	token?: string;
	headers?: Record<string, string>;
	/** A body sent as it is, for malformed input. */
	raw?: string;
	/** The client address to claim (X-Forwarded-For; the server must trust proxies, see `clientIp`). */
	ip?: string;
}

/** Deletes every key under `prefix` in the shared Redis: what a test's own prefix left behind. */
export async function clearRedisPrefix(prefix: string): Promise<void> {
	const redis = new Redis(REDIS_URL);
	try {
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length > 0) await redis.del(...keys);
	} finally {
		await redis.quit();
	}
}

let counter = 0;
export function uniqueName(prefix = 'user'): string {
	counter++;
	return `${prefix}${Date.now().toString(36).slice(-5)}${counter}${Math.floor(Math.random() * 1e4)}`;
}

/**
 * A real Parley on a free port, with a fresh database of the given kind, a real SMTP server catching
 * its mail and (with `redis: true`) real Redis. Everything is torn down by `stop()`.
 */
export async function startParley(
	backend: BackendName,
	options: {
		redis?: boolean;
		env?: Record<string, string>;
		parley?: Omit<ParleyOptions, 'config'>;
		/**
		 * Sends every request as if from this address (X-Forwarded-For, with TRUST_PROXY on), so
		 * per-address limits kept in a shared Redis do not carry over between runs.
		 */
		clientIp?: string;
	} = {}
): Promise<TestParley> {
	const smtp = await new SmtpCatcher().start();
	const database = await createTestDatabase(backend);
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-data-'));
	// With Redis the node joins a cluster: the registry, tickets and limits under its prefix. A prefix of
	// its own, so the balancer never hands out a node of another test file running beside it (whose
	// database does not know this one's sessions: the socket would be refused as unauthorized).
	const redisPrefix = options.env?.REDIS_PREFIX ?? `parley-test:${randomUUID().slice(0, 8)}:`;
	// PUBLIC_URL must name the real port: login hands it out as the chat node's URL.
	const { parley, port } = await listenOnFreePort((port) =>
		createParley({
			config: loadConfig({
				PORT: String(port),
				HOST: '127.0.0.1',
				PUBLIC_URL: `http://127.0.0.1:${port}`,
				DATABASE_URL: database.url,
				SMTP_URL: smtp.url,
				DATA_DIR: dataDir,
				// With Redis the node registers under its id: a unique one too, for tests that share a prefix.
				NODE_ID: options.redis ? `test-${backend}-${randomUUID().slice(0, 8)}` : `test-${backend}`,
				...(options.redis ? { REDIS_URL: REDIS_URL, REDIS_PREFIX: redisPrefix } : {}),
				// No RTMP listener unless a test asks for one (RTMP_PORT in `env`): test servers side by side
				// would all want port 1935.
				RTMP_PORT: '0',
				...(options.clientIp ? { TRUST_PROXY: 'true' } : {}),
				...options.env
			}),
			...options.parley
		})
	);
	const baseUrl = `http://127.0.0.1:${port}`;
	const sockets: ClientSocket[] = [];

	const request: TestParley['request'] = async (method, p, o = {}) => {
		const headers: Record<string, string> = { ...(options.clientIp ? { 'x-forwarded-for': options.clientIp } : {}), ...o.headers };
		if (o.token) headers.authorization = `Bearer ${o.token}`;
		if (o.ip) headers['x-forwarded-for'] = o.ip;
		let body: string | undefined = o.raw;
		if (o.body !== undefined) {
			headers['content-type'] ??= 'application/json';
			body = JSON.stringify(o.body);
		}
		const res = await fetch(baseUrl + p, { method, headers, body });
		const text = await res.text();
		let parsed: unknown = undefined;
		if (text) {
			try {
				parsed = JSON.parse(text);
			} catch {
				parsed = text;
			}
		}
		return { status: res.status, headers: res.headers, body: parsed as any };
	};

	const t: TestParley = {
		parley,
		baseUrl,
		redisPrefix,
		smtp,
		database,
		request,
		async signUp(o = {}) {
			const username = o.username ?? uniqueName();
			const email = o.email ?? `${username.toLowerCase()}@example.test`;
			const password = o.password ?? 'correct horse battery staple';
			const before = smtp.mails.length;
			const ip = o.ip;
			const v = await request('POST', '/api/auth/verification', { body: { email, purpose: 'register' }, ip });
			if (v.status !== 202) throw new Error(`verification failed: ${v.status} ${JSON.stringify(v.body)}`);
			const code = await smtp.codeFor(email, before);
			const r = await request('POST', '/api/auth/register', { body: { username, email, password, code, displayName: o.displayName }, ip });
			if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
			const l = await request<LoginResponse>('POST', '/api/auth/login', { body: { login: username, password }, ip });
			if (l.status !== 200) throw new Error(`login failed: ${l.status} ${JSON.stringify(l.body)}`);
			return { ...l.body, password };
		},
		connectSocket(ticket, url = baseUrl) {
			const socket: ClientSocket = connect(url, { auth: { ticket }, transports: ['websocket'], reconnection: false, forceNew: true });
			sockets.push(socket);
			return new Promise((resolve, reject) => {
				socket.once('connect', () => resolve(socket));
				socket.once('connect_error', (err) => reject(err));
			});
		},
		async stop() {
			for (const s of sockets) s.disconnect();
			await parley.close();
			await smtp.stop();
			await database.drop();
			fs.rmSync(dataDir, { recursive: true, force: true });
			// A prefix this helper made is this Parley's alone: what it left in Redis goes with it.
			if (options.redis && !options.env?.REDIS_PREFIX) await clearRedisPrefix(redisPrefix);
		}
	};
	return t;
}

/** A Parley that sends Web Push (to `service`, a real push service on loopback), and its `stop` for both. */
export interface PushTestParley {
	t: TestParley;
	service: LoopbackPushService;
	stop(): Promise<void>;
}

/**
 * `startParley` on `backend` (with Redis when TEST_REDIS is set) that may push over plain HTTP, with
 * a loopback push service started beside it, and a per-address code limit high enough for a suite's
 * many sign-ups.
 */
export async function startPushParley(backend: BackendName): Promise<PushTestParley> {
	const service = await new LoopbackPushService().start();
	try {
		const t = await startParley(backend, { redis: !!process.env.TEST_REDIS, parley: { limits: { codesPerIp: 10_000 }, push: { allowHttp: true } } });
		return {
			t,
			service,
			async stop() {
				try {
					await t.stop();
				} finally {
					await service.stop();
				}
			}
		};
	} catch (error) {
		await service.stop();
		throw error;
	}
}

/** A port the OS just handed out and released. Another process may take it first: then try again. */
export async function freePort(): Promise<number> {
	const probe = net.createServer();
	await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
	const { port } = probe.address() as net.AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}

/**
 * A free port whose next `count` ports are free too (CHAT_PROCESSES takes PORT+1 … PORT+count). As
 * with `freePort`, another process may take one first.
 */
export async function freePortRun(count: number): Promise<number> {
	const free = (port: number) =>
		new Promise<boolean>((resolve) => {
			const probe = net.createServer();
			probe.once('error', () => resolve(false));
			probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
		});
	for (;;) {
		const port = await freePort();
		let ok = port + count < 65536;
		for (let p = port + 1; ok && p <= port + count; p++) ok = await free(p);
		if (ok) return port;
	}
}

async function listenOnFreePort(create: (port: number) => Promise<Parley>): Promise<{ parley: Parley; port: number }> {
	for (let attempt = 1; ; attempt++) {
		const port = await freePort();
		const parley = await create(port);
		try {
			return { parley, port: await parley.listen() };
		} catch (error) {
			await parley.close().catch(() => {});
			if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
		}
	}
}
