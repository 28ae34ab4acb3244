import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { createParley, type Parley, type ParleyOptions } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { configureLogging } from '../../server/logger.js';
import type { ClientToServerEvents, LoginResponse, ServerToClientEvents } from '../../src/lib/protocol/index.js';
import { createTestDatabase, REDIS_URL, type BackendName, type TestDatabase } from './backends.js';
import { SmtpCatcher } from './smtp.js';

configureLogging({ level: (process.env.TEST_LOG_LEVEL as 'error') ?? 'error' });

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestParley {
	parley: Parley;
	/** `http://127.0.0.1:<port>` */
	baseUrl: string;
	smtp: SmtpCatcher;
	database: TestDatabase;
	/** fetch against the server with a JSON body; returns status, headers and parsed body. */
	request<T = any>(method: string, path: string, options?: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string }): Promise<{ status: number; headers: Headers; body: T }>;
	/** Registers through the real endpoints (code read from the SMTP catcher) and signs in. */
	signUp(options?: { username?: string; password?: string; email?: string; displayName?: string }): Promise<LoginResponse & { password: string }>;
	/** Opens a socket.io client with a ticket; resolves once connected. */
	connectSocket(ticket: string, url?: string): Promise<ClientSocket>;
	stop(): Promise<void>;
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
	options: { redis?: boolean; env?: Record<string, string>; parley?: Omit<ParleyOptions, 'config'> } = {}
): Promise<TestParley> {
	const smtp = await new SmtpCatcher().start();
	const database = await createTestDatabase(backend);
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-data-'));
	const config = loadConfig({
		PORT: '0',
		HOST: '127.0.0.1',
		DATABASE_URL: database.url,
		SMTP_URL: smtp.url,
		DATA_DIR: dataDir,
		NODE_ID: `test-${backend}`,
		...(options.redis ? { REDIS_URL: REDIS_URL } : {}),
		...options.env
	});
	const parley = await createParley({ config, ...options.parley });
	const port = await parley.listen();
	const baseUrl = `http://127.0.0.1:${port}`;
	const sockets: ClientSocket[] = [];

	const request: TestParley['request'] = async (method, p, o = {}) => {
		const headers: Record<string, string> = { ...o.headers };
		if (o.token) headers.authorization = `Bearer ${o.token}`;
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
		smtp,
		database,
		request,
		async signUp(o = {}) {
			const username = o.username ?? uniqueName();
			const email = o.email ?? `${username.toLowerCase()}@example.test`;
			const password = o.password ?? 'correct horse battery staple';
			const before = smtp.mails.length;
			const v = await request('POST', '/api/auth/verification', { body: { email, purpose: 'register' } });
			if (v.status !== 202) throw new Error(`verification failed: ${v.status} ${JSON.stringify(v.body)}`);
			const code = await smtp.codeFor(email, before);
			const r = await request('POST', '/api/auth/register', { body: { username, email, password, code, displayName: o.displayName } });
			if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
			const l = await request<LoginResponse>('POST', '/api/auth/login', { body: { login: username, password } });
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
		}
	};
	return t;
}
