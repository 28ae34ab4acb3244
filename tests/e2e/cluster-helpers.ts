import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../helpers/backends.js';
import { SmtpCatcher } from '../helpers/smtp.js';
import { expect, freePort, SERVER_ENTRY, uniqueName, type Account } from './fixtures.js';

// A cluster of the built server, as users run it, for browser tests: a gateway (with files), chat
// nodes and, when asked, media nodes of their own, on PostgreSQL and Redis, each a child process with
// its own port and PUBLIC_URL.

export interface Proc {
	name: string;
	url: string;
	child: ChildProcess;
	output: () => string;
}

export interface BrowserCluster {
	gateway: Proc;
	procs: Proc[];
	/** Registers an account through the gateway's API, with the mailed code. */
	signUp(displayName: string): Promise<Account>;
	/** Signs in through the login page in a context of its own; `nodeOf(page)` names its socket's node. */
	signIn(account: Account, viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
	nodeOf(page: Page): string;
	/** The chat node names each page's sockets went to, in order. */
	sockets: Map<Page, string[]>;
	stop(): Promise<void>;
}

/** True when something listens at the URL's host and port. */
export function reachable(url: string): Promise<boolean> {
	const u = new URL(url);
	return new Promise((resolve) => {
		const socket = net.connect({ host: u.hostname, port: Number(u.port) || (u.protocol === 'redis:' ? 6379 : 5432) });
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1500, () => done(false));
		socket.once('connect', () => done(true));
		socket.once('error', () => done(false));
	});
}

/** PostgreSQL and Redis, which a cluster needs. */
export async function clusterBackendsUp(): Promise<boolean> {
	return (await reachable(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test')) && (await reachable(REDIS_URL));
}

async function start(name: string, env: Record<string, string>, dataDir: string): Promise<Proc> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const dir = path.join(dataDir, name);
	fs.mkdirSync(dir, { recursive: true });
	const child = spawn(process.execPath, [SERVER_ENTRY], {
		cwd: dir,
		env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, NODE_ID: name, DATA_DIR: dir, LOG_LEVEL: 'warn', RTMP_PORT: '0', ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	child.stdout!.on('data', (c) => (output += c));
	child.stderr!.on('data', (c) => (output += c));
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${output}`);
		try {
			if ((await fetch(`${url}/healthz`)).ok) break;
		} catch {
			// not yet
		}
		if (Date.now() > deadline) throw new Error(`${name} did not start:\n${output}`);
		await new Promise((r) => setTimeout(r, 100));
	}
	return { name, url, child, output: () => output };
}

/**
 * Starts the cluster: the gateway first (it runs the migrations), then `chat` chat nodes (`chat-1` …)
 * and `media` media nodes (`media-1` …, ROLES=media, each with its own WebRTC port range); resolves
 * once the gateway lists every chat node alive.
 */
export async function startBrowserCluster(browser: Browser, options: { chat: number; media?: number; heartbeatMs?: number }): Promise<BrowserCluster> {
	const smtp = await new SmtpCatcher().start();
	const database: TestDatabase = await createTestDatabase('postgres');
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-cluster-'));
	const prefix = `parley-e2e:${randomBytes(4).toString('hex')}:`;
	const shared = { DATABASE_URL: database.url, REDIS_URL, REDIS_PREFIX: prefix, NODE_HEARTBEAT_MS: String(options.heartbeatMs ?? 300), SMTP_URL: smtp.url };
	const procs: Proc[] = [];
	const contexts: BrowserContext[] = [];
	const stop = async () => {
		for (const c of contexts) await c.close().catch(() => {});
		for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
		// The nodes log warnings only (a node declared dead, a call ended by the server): the last ones
		// go to the test's output, where a failure can be read against them.
		for (const p of procs) {
			const lines = p.output().trim().split('\n').filter(Boolean).slice(-30);
			for (const line of lines) console.log(`[e2e cluster] ${p.name}: ${line.slice(0, 400)}`);
		}
		await smtp.stop();
		await database.drop().catch(() => {});
		const { Redis } = await import('ioredis');
		const redis = new Redis(REDIS_URL);
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length > 0) await redis.del(...keys);
		await redis.quit();
		fs.rmSync(dataDir, { recursive: true, force: true });
	};
	let gateway: Proc;
	try {
		// The chat nodes are other origins (other ports): the pages' CSP must let the app connect there.
		gateway = await start('gateway', { ...shared, ROLES: 'gateway,files', CHAT_ORIGINS: 'http://127.0.0.1:*' }, dataDir);
		procs.push(gateway);
		const origin = new URL(gateway.url).origin;
		for (let i = 1; i <= options.chat; i++) procs.push(await start(`chat-${i}`, { ...shared, ROLES: 'chat', CORS_ORIGINS: origin }, dataDir));
		for (let i = 1; i <= (options.media ?? 0); i++) {
			const min = 45000 + (i - 1) * 500;
			procs.push(await start(`media-${i}`, { ...shared, ROLES: 'media', MEDIA_WORKERS: '1', MEDIA_LISTEN_IP: '127.0.0.1', MEDIA_MIN_PORT: String(min), MEDIA_MAX_PORT: String(min + 499) }, dataDir));
		}
		await expect.poll(async () => ((await (await fetch(`${gateway.url}/healthz`)).json()).nodes ?? []).length).toBe(options.chat);
	} catch (error) {
		await stop();
		throw error;
	}

	const sockets = new Map<Page, string[]>();
	return {
		gateway,
		procs,
		sockets,
		async signUp(displayName) {
			const username = uniqueName(displayName.split(' ')[0].toLowerCase());
			const account = { username, email: `${username}@example.test`, password: 'correct horse battery staple', displayName };
			const before = smtp.mails.length;
			const json = { 'content-type': 'application/json' };
			const sent = await fetch(`${gateway.url}/api/auth/verification`, { method: 'POST', headers: json, body: JSON.stringify({ email: account.email, purpose: 'register' }) });
			expect(sent.status, await sent.clone().text()).toBe(202);
			const code = await smtp.codeFor(account.email, before);
			const registered = await fetch(`${gateway.url}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ ...account, code }) });
			expect(registered.status).toBe(201);
			return account;
		},
		async signIn(account, viewport = { width: 1280, height: 800 }) {
			const context = await browser.newContext({ baseURL: gateway.url, viewport });
			contexts.push(context);
			const page = await context.newPage();
			sockets.set(page, []);
			page.on('websocket', (ws) => {
				const proc = procs.find((p) => new URL(p.url).port === new URL(ws.url()).port);
				if (proc) sockets.get(page)!.push(proc.name);
			});
			await page.goto('/login');
			await page.getByLabel('Username or email', { exact: true }).fill(account.username);
			await page.getByLabel('Password', { exact: true }).fill(account.password);
			await page.getByRole('button', { name: 'Sign in' }).click();
			await expect(page).toHaveURL(/\/app$/);
			await expect.poll(() => sockets.get(page)!.length).toBeGreaterThan(0);
			return { context, page };
		},
		nodeOf: (page) => sockets.get(page)!.at(-1)!,
		stop
	};
}
