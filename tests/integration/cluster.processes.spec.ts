import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { io as connect } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoginResponse, Message, Thread } from '../../src/lib/protocol/index.js';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../helpers/backends.js';
import { ok } from '../helpers/chat.js';
import { until } from '../helpers/cluster.js';
import { freePortRun, uniqueName, type ClientSocket } from '../helpers/parley.js';
import { SmtpCatcher } from '../helpers/smtp.js';

// CHAT_PROCESSES=2: `server/main.ts` (what `npm start` runs) keeps the gateway and files roles and
// starts two chat nodes as child processes on PORT+1 and PORT+2, registered with the balancer over
// Redis. Two users land on different processes and talk; SIGTERM to the parent stops every child, and
// so does kill -9 of the parent (each child sees its IPC channel close).

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** Running, by /proc: an exited child of a parent that died is a zombie until something reaps it. */
function running(pid: number): boolean {
	try {
		return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return false;
	}
}

interface Box {
	process: ChildProcess;
	/** Its REDIS_PREFIX: each box is a cluster of its own. */
	prefix: string;
	baseUrl: string;
	output: string[];
	exited: Promise<number | null>;
	/** The chat processes' pids, from the parent's log. */
	childPids(): number[];
}

describe('CHAT_PROCESSES=2 on PostgreSQL and Redis', () => {
	let database: TestDatabase;
	let smtp: SmtpCatcher;
	const dirs: string[] = [];
	const boxes: Box[] = [];
	const sockets: ClientSocket[] = [];

	beforeAll(async () => {
		database = await createTestDatabase('postgres');
		smtp = await new SmtpCatcher().start();
	});
	afterEach(() => {
		for (const s of sockets.splice(0)) s.disconnect();
	});
	afterAll(async () => {
		for (const box of boxes) {
			box.process.kill('SIGKILL');
			for (const pid of box.childPids()) if (running(pid)) process.kill(pid, 'SIGKILL');
		}
		await smtp?.stop();
		await database?.drop();
		for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
	});

	async function start(): Promise<Box> {
		const port = await freePortRun(2);
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-processes-'));
		const prefix = `parley-test:${randomBytes(4).toString('hex')}:`;
		dirs.push(dataDir);
		const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
			cwd: ROOT,
			env: {
				PATH: process.env.PATH,
				HOME: process.env.HOME,
				// Every role but media (no mediasoup worker needed here): the chat role goes to the children.
				ROLES: 'gateway,balance,files,chat',
				CHAT_PROCESSES: '2',
				PORT: String(port),
				HOST: '127.0.0.1',
				PUBLIC_URL: `http://127.0.0.1:${port}`,
				NODE_ID: `box-${randomBytes(3).toString('hex')}`,
				DATABASE_URL: database.url,
				REDIS_URL,
				REDIS_PREFIX: prefix,
				NODE_HEARTBEAT_MS: '500',
				DRAIN_TIMEOUT_MS: '2000',
				SMTP_URL: smtp.url,
				DATA_DIR: dataDir,
				RTMP_PORT: '0',
				LOG_LEVEL: 'info'
			},
			stdio: ['ignore', 'pipe', 'pipe']
		});
		const output: string[] = [];
		for (const stream of [child.stdout!, child.stderr!]) {
			stream.setEncoding('utf8');
			stream.on('data', (chunk: string) => output.push(chunk));
		}
		const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
		const childPids = () => [...output.join('').matchAll(/chat process \S+ \(pid (\d+)\) starting/g)].map((m) => Number(m[1]));
		const box: Box = { process: child, prefix, baseUrl: `http://127.0.0.1:${port}`, output, exited, childPids };
		boxes.push(box);
		await until(async () => (await liveNodes(box)).length === 2, `two chat processes registered:\n${output.join('')}`, 60_000, 200);
		return box;
	}

	async function liveNodes(box: Box): Promise<Array<{ id: string; url: string }>> {
		try {
			return ((await (await fetch(`${box.baseUrl}/healthz`)).json()) as { nodes?: Array<{ id: string; url: string }> }).nodes ?? [];
		} catch {
			return [];
		}
	}

	async function post<T>(box: Box, p: string, body: unknown, status: number): Promise<T> {
		const res = await fetch(box.baseUrl + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const text = await res.text();
		expect(res.status, `${p}: ${text}`).toBe(status);
		return (text ? JSON.parse(text) : undefined) as T;
	}

	/** Registers through the parent's gateway, as a browser would; the login names a chat process. */
	async function signUp(box: Box): Promise<LoginResponse> {
		const username = uniqueName();
		const email = `${username.toLowerCase()}@example.test`;
		const password = 'correct horse battery staple';
		const before = smtp.mails.length;
		await post(box, '/api/auth/verification', { email, purpose: 'register' }, 202);
		const code = await smtp.codeFor(email, before);
		await post(box, '/api/auth/register', { username, email, password, code }, 201);
		return post<LoginResponse>(box, '/api/auth/login', { login: username, password }, 200);
	}

	function socketOf(login: LoginResponse): Promise<ClientSocket> {
		const socket: ClientSocket = connect(login.chat.url, { auth: { ticket: login.chat.ticket }, transports: ['websocket'], reconnection: false, forceNew: true });
		sockets.push(socket);
		return new Promise((resolve, reject) => {
			socket.once('connect', () => resolve(socket));
			socket.once('connect_error', reject);
		});
	}

	it('registers two chat nodes, puts two users on different processes that exchange a message, and SIGTERM stops every child', async () => {
		const box = await start();
		const nodes = await liveNodes(box);
		const ports = nodes.map((n) => Number(new URL(n.url).port)).sort();
		expect(ports).toEqual([Number(new URL(box.baseUrl).port) + 1, Number(new URL(box.baseUrl).port) + 2]);
		const pids = box.childPids();
		expect(pids).toHaveLength(2);
		expect(new Set([...pids, box.process.pid]).size).toBe(3);

		// The balancer reserves a connection per ticket, so the second login goes to the other process.
		const a = await signUp(box);
		const b = await signUp(box);
		expect(b.chat.url).not.toBe(a.chat.url);
		const [sa, sb] = [await socketOf(a), await socketOf(b)];

		const { request } = await ok(sa, 'friends:request', { userId: b.user.id });
		const { thread } = await ok<{ thread: Thread }>(sb, 'friends:respond', { requestId: request.id, accept: true });
		const arrived = new Promise<Message>((resolve) => sb.on('message:new', ({ message: m }) => m.text === 'from the other process' && resolve(m)));
		const { message } = await ok<{ message: Message }>(sa, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'from the other process' });
		expect((await arrived).id).toBe(message.id);

		box.process.kill('SIGTERM');
		expect(await box.exited).toBe(0);
		for (const pid of pids) expect(running(pid), `chat process ${pid} after the parent's SIGTERM`).toBe(false);
		expect(box.output.join('')).toMatch(/SIGTERM: draining/);
	});

	it('kill -9 of the parent leaves no chat process behind', async () => {
		const box = await start();
		const pids = box.childPids();
		expect(pids).toHaveLength(2);
		box.process.kill('SIGKILL');
		await box.exited;
		await until(() => pids.every((pid) => !running(pid)), 'the chat processes to stop after their parent was killed', 15_000, 100);
		// They closed as on SIGTERM: each left the registry instead of waiting to expire.
		const redis = new Redis(REDIS_URL);
		try {
			expect(await redis.hkeys(`${box.prefix}nodes:info`)).toEqual([]);
		} finally {
			redis.disconnect();
		}
	});
});
