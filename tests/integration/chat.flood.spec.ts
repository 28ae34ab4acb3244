import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database.js';
import { newId, nowIso } from '../../server/db/ids.js';
import { insertNext } from '../../server/chat/messages/messages.repository.js';
import type { Ack, LoginResponse, Thread } from '../../src/lib/protocol/index.js';
import { createTestDatabase, backendNames, type TestDatabase } from '../helpers/backends.js';
import { befriend, device, fails, ok, people, request, type Person } from '../helpers/chat.js';
import { until } from '../helpers/cluster.js';
import { freePort, startParley, type ClientSocket, type TestParley } from '../helpers/parley.js';
import { SmtpCatcher } from '../helpers/smtp.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 4,000 code points (the most a message may hold) of a 4-byte character: 16 KB of UTF-8 each. */
const LONG_TEXT = '😀'.repeat(4000);
const MESSAGES = 300;
const FLOOD = 600;
/** The flood window: long enough for the unfixed node to queue gigabytes, short of socket.io's 40 s ping timeout. */
const WINDOW_MS = 15_000;
/** Growth allowed under the flood. Unfixed, this machine went from ~150 MB to over 2 GB (see the commit). */
const MAX_GROWTH_MB = 300;
/**
 * `/healthz` must still answer while the flood runs. Unfixed, on SQLite, it went unanswered for 30 s;
 * fixed, it took at most 2 s with the machine's load at 12 on 2 cores. A liveness bound, not a speed
 * measurement (the memory bound is what catches the flood on every backend).
 */
const HEALTHZ_BOUND_MS = 8_000;


/** The resident memory of a process, in MB, from /proc (the child's, not this test runner's). */
function rssMb(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
	return kb / 1024;
}

/**
 * A whole Parley (gateway and chat, no Redis) in a child process, so its memory is measured apart from
 * the test runner's, and a runaway node cannot take the runner down with it.
 */
async function startChild(database: TestDatabase, smtp: SmtpCatcher) {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-flood-'));
	const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
		cwd: ROOT,
		env: {
			PATH: process.env.PATH,
			HOME: process.env.HOME,
			ROLES: 'gateway,chat',
			PORT: String(port),
			HOST: '127.0.0.1',
			PUBLIC_URL: url,
			NODE_ID: 'flood',
			DATABASE_URL: database.url,
			SMTP_URL: smtp.url,
			DATA_DIR: dataDir,
			LOG_LEVEL: 'warn'
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const output: string[] = [];
	child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
	child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
	let exited = false;
	child.once('exit', () => (exited = true));
	await until(async () => {
		if (exited) throw new Error(`the server exited while starting:\n${output.join('')}`);
		return (await fetch(`${url}/healthz`).catch(() => null))?.status === 200;
	}, 'the server to start', 60_000, 100);
	return {
		url,
		child,
		output,
		async stop() {
			if (!exited) {
				child.kill('SIGKILL');
				await new Promise((resolve) => child.once('exit', resolve));
			}
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

/** Registers through the real endpoints (the code from the SMTP catcher) and signs in. */
async function signUp(url: string, smtp: SmtpCatcher, name: string): Promise<LoginResponse> {
	const post = async (p: string, body: unknown) => {
		const res = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		return { status: res.status, body: (await res.json().catch(() => null)) as any };
	};
	const username = `${name}${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1e4)}`;
	const email = `${username}@example.test`;
	const password = 'correct horse battery staple';
	const before = smtp.mails.length;
	expect((await post('/api/auth/verification', { email, purpose: 'register' })).status).toBe(202);
	const code = await smtp.codeFor(email, before);
	expect((await post('/api/auth/register', { username, email, password, code })).status).toBe(201);
	const login = await post('/api/auth/login', { login: username, password });
	expect(login.status).toBe(200);
	return login.body;
}

function socketFor(url: string, ticket: string): Promise<ClientSocket> {
	const socket: ClientSocket = connect(url, { auth: { ticket }, transports: ['websocket'], reconnection: false, forceNew: true });
	return new Promise((resolve, reject) => {
		socket.once('connect', () => resolve(socket));
		socket.once('connect_error', reject);
	});
}

/**
 * A request whose ack may take long: the flood's last answers come only after the client reads again
 * and the node has worked through what waited (slow on a loaded machine). Only a lost ack fails.
 */
function ask(socket: ClientSocket, event: string, payload: unknown): Promise<Ack> {
	return (socket.timeout(150_000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Ack> }).emitWithAck(event, payload);
}

/** The TCP socket under a socket.io client's WebSocket (Node's `ws`), to stop reading from it. */
function tcpOf(socket: ClientSocket): net.Socket {
	const transport = (socket.io.engine as unknown as { transport: { ws?: { _socket?: net.Socket } } }).transport;
	const tcp = transport.ws?._socket;
	if (!tcp) throw new Error('no TCP socket under the client');
	return tcp;
}

describe.each(backendNames())('chat flood (%s)', (backend) => {
	describe('a client that never reads', () => {
		let database: TestDatabase;
		let smtp: SmtpCatcher;
		let server: Awaited<ReturnType<typeof startChild>>;
		let reader: ClientSocket;
		let flooder: ClientSocket;
		let thread: Thread;

		beforeAll(async () => {
			database = await createTestDatabase(backend);
			smtp = await new SmtpCatcher().start();
			server = await startChild(database, smtp);
			const [a, b] = await Promise.all([signUp(server.url, smtp, 'flooder'), signUp(server.url, smtp, 'peer')]);
			reader = await socketFor(server.url, a.chat.ticket);
			const peer = await socketFor(server.url, b.chat.ticket);
			thread = await befriend({ ...a, password: '', socket: reader }, { ...b, password: '', socket: peer } as Person);
			peer.disconnect();
			// The long history goes straight into the database: the send limit would make it take minutes.
			const db = await openDatabase({ url: database.url, poolSize: 1 });
			try {
				await db.db.transaction().execute(async (trx) => {
					for (let i = 0; i < MESSAGES; i++) {
						await insertNext(trx, { id: newId(), thread_id: thread.id, sender_id: a.user.id, client_id: crypto.randomUUID(), kind: 'text', text: LONG_TEXT, file_id: null, created_at: nowIso() });
					}
				});
			} finally {
				await db.close();
			}
			const ticket = await fetch(`${server.url}/api/auth/chat-ticket`, { method: 'POST', headers: { authorization: `Bearer ${a.token}` } });
			flooder = await socketFor(server.url, ((await ticket.json()) as LoginResponse).chat.ticket);
		}, 120_000);

		afterAll(async () => {
			reader?.disconnect();
			flooder?.disconnect();
			await server?.stop();
			await smtp?.stop();
			await database?.drop();
		});

		it(`${FLOOD} messages:list {limit: 100} on a thread of ${MESSAGES} long messages: memory and /healthz stay bounded`, async () => {
			const pid = server.child.pid!;
			const before = rssMb(pid);
			let peak = before;
			const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
			let slowestHealthz = 0;
			let flooding = true;
			const healthz = (async () => {
				while (flooding) {
					const started = Date.now();
					const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(30_000) }).catch(() => null);
					slowestHealthz = Math.max(slowestHealthz, res?.status === 200 ? Date.now() - started : Infinity);
					await sleep(200);
				}
			})();
			const acks: Array<Promise<Ack>> = [];
			try {
				// Stop reading: the node's answers pile up on its side of the connection.
				const tcp = tcpOf(flooder);
				tcp.pause();
				const started = Date.now();
				// Paced (5 every 100 ms), as a client that knows the in-flight cap would: the cap alone does
				// not bound what piles up when the answers are never read.
				for (let sent = 0; sent < FLOOD; sent += 5) {
					for (let i = 0; i < 5; i++) acks.push(ask(flooder, 'messages:list', { threadId: thread.id, limit: 100 }));
					await sleep(100);
				}
				await sleep(Math.max(0, WINDOW_MS - (Date.now() - started)));
				flooding = false;
				await healthz;
				clearInterval(sampler);
				const growth = peak - before;
				console.info(`[${backend}] RSS ${before.toFixed(0)} MB -> peak ${peak.toFixed(0)} MB (+${growth.toFixed(0)}); slowest /healthz ${slowestHealthz} ms`);
				expect(growth, `RSS grew from ${before.toFixed(0)} to ${peak.toFixed(0)} MB`).toBeLessThan(MAX_GROWTH_MB);
				expect(slowestHealthz).toBeLessThan(HEALTHZ_BOUND_MS);
				// Reading again, the client gets an answer to every request: the page, or `rate_limited`.
				tcp.resume();
				const answers = await Promise.all(acks);
				const pages = answers.filter((a) => a.ok).length;
				expect(pages).toBeGreaterThan(0);
				for (const answer of answers) {
					if (answer.ok) continue;
					expect(answer.error.code).toBe('rate_limited');
					expect(answer.error.message).toMatch(/; try again in \d+ s$/);
				}
			} finally {
				flooding = false;
				clearInterval(sampler);
			}
		}, 180_000);

		it('the other device of the same user, which reads, is still answered', async () => {
			const { messages } = await ok(reader, 'messages:list', { threadId: thread.id, limit: 10 });
			expect(messages).toHaveLength(10);
		});
	});

	describe('a client that reads', () => {
		let t: TestParley;
		let a: Person;
		let b: Person;
		let thread: Thread;

		beforeAll(async () => {
			t = await startParley(backend, { parley: { chatLimits: { sendsPerWindow: 1000, readsPerWindow: 100, readWindowSeconds: 60 } } });
			[a, b] = await people(t, 2);
			thread = await befriend(a, b);
			for (let i = 0; i < 20; i++) await ok(a.socket, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: `m${i}` });
		}, 60_000);

		afterAll(() => t?.stop());

		it('gets every answer to 80 requests at once (16 running, 64 waiting their turn), in order', async () => {
			const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => request(a.socket, 'messages:list', { threadId: thread.id, afterSeq: i % 20, limit: 100 })));
			answers.forEach((answer, i) => {
				expect(answer).toMatchObject({ ok: true, hasMore: false });
				expect((answer as unknown as { messages: Array<{ seq: number }> }).messages[0].seq).toBe((i % 20) + 1);
			});
		});

		it('reads are limited per user over all devices, with rate_limited and its wait; sends are not', async () => {
			// 80 spent above; the rest of the 100 alternate between two devices.
			const other = await device(t, a);
			for (let i = 80; i < 100; i++) await ok(i % 2 ? other : a.socket, i % 3 ? 'messages:list' : 'threads:list', i % 3 ? { threadId: thread.id } : {});
			const error = await fails(other, 'users:search', { query: 'x' }, 'rate_limited');
			expect(error.message).toMatch(/reading too fast .*; try again in \d+ s$/);
			await fails(a.socket, 'messages:list', { threadId: thread.id }, 'rate_limited');
			// Another user is not affected, nor are this user's sends.
			await ok(b.socket, 'messages:list', { threadId: thread.id });
			await ok(a.socket, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'still here' });
		});
	});
});
