import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../helpers/backends.js';
import { SmtpCatcher } from '../helpers/smtp.js';
import { befriend, connectBot } from './chat-helpers.js';
import { expect, SERVER_ENTRY, test, uniqueName, type Account } from './fixtures.js';

// The cluster in a browser: a gateway and two chat nodes (the built server, as users run it) on
// PostgreSQL and Redis. Alice and Bob are on different nodes; Alice's node is killed (-9) mid-chat.
// Her page must reconnect by itself (a fresh ticket names the surviving node) and the conversation
// must go on with nothing lost or doubled, including what she wrote while her node was gone.

interface Proc {
	name: string;
	url: string;
	child: ChildProcess;
	output: () => string;
}

const HEARTBEAT_MS = 300;

/** True when something listens at the URL's host and port. */
function reachable(url: string): Promise<boolean> {
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

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

async function start(name: string, env: Record<string, string>, dataDir: string): Promise<Proc> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const dir = path.join(dataDir, name);
	fs.mkdirSync(dir, { recursive: true });
	const child = spawn(process.execPath, [SERVER_ENTRY], {
		cwd: dir,
		env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, NODE_ID: name, DATA_DIR: dir, LOG_LEVEL: 'warn', ...env },
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

const bubble = (page: Page, text: string): Locator => page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });
const threadItem = (page: Page, name: string): Locator => page.getByTestId('thread-item').filter({ hasText: name });

async function send(page: Page, peerName: string, text: string) {
	const composer = page.getByLabel(`Message to ${peerName}`);
	await composer.fill(text);
	await composer.press('Enter');
	await expect(composer).toHaveValue('');
}

test('two people on different chat nodes: one node is killed, the page moves by itself and nothing is lost', async ({ browser, pageErrors }) => {
	pageErrors.allow(/^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/.*' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED$/, "Alice's node is killed on purpose: her socket's reconnection to it is refused until she is moved");
	test.setTimeout(120_000);
	test.skip(!(await reachable(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test')) || !(await reachable(REDIS_URL)), 'needs PostgreSQL and Redis');

	const smtp = await new SmtpCatcher().start();
	const database: TestDatabase = await createTestDatabase('postgres');
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-cluster-'));
	const prefix = `parley-e2e:${randomBytes(4).toString('hex')}:`;
	const shared = { DATABASE_URL: database.url, REDIS_URL, REDIS_PREFIX: prefix, NODE_HEARTBEAT_MS: String(HEARTBEAT_MS), SMTP_URL: smtp.url };
	const procs: Proc[] = [];
	const t0 = Date.now();
	const mark = (what: string) => console.log(`[e2e cluster] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
	try {
		// The chat nodes are other origins (other ports): the pages' CSP must let the app connect there.
		const gateway = await start('gateway', { ...shared, ROLES: 'gateway,files', CHAT_ORIGINS: 'http://127.0.0.1:*' }, dataDir);
		procs.push(gateway);
		const origin = new URL(gateway.url).origin;
		for (const name of ['chat-1', 'chat-2']) procs.push(await start(name, { ...shared, ROLES: 'chat', CORS_ORIGINS: origin }, dataDir));
		await expect.poll(async () => ((await (await fetch(`${gateway.url}/healthz`)).json()).nodes ?? []).length).toBe(2);
		mark('cluster up');

		// Accounts and the friendship through the API, then every bot gone so both nodes are empty again.
		const signUp = async (displayName: string): Promise<Account> => {
			const username = uniqueName(displayName.split(' ')[0].toLowerCase());
			const account = { username, email: `${username}@example.test`, password: 'correct horse battery staple', displayName };
			const before = smtp.mails.length;
			const sent = await fetch(`${gateway.url}/api/auth/verification`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: account.email, purpose: 'register' }) });
			expect(sent.status, await sent.clone().text()).toBe(202);
			const code = await smtp.codeFor(account.email, before);
			const registered = await fetch(`${gateway.url}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...account, code }) });
			expect(registered.status).toBe(201);
			return account;
		};
		const alice = await signUp('Alice Liddell');
		const bob = await signUp('Bob Builder');
		const [botA, botB] = [await connectBot(gateway.url, alice), await connectBot(gateway.url, bob)];
		await befriend(botA, botB);
		botA.close();
		botB.close();
		await expect.poll(async () => ((await (await fetch(`${gateway.url}/healthz`)).json()).nodes as Array<{ connections: number }>).every((n) => n.connections === 0)).toBe(true);

		// Signed in through the login page, watching which node each page's socket goes to.
		const sockets = new Map<Page, string[]>();
		const signIn = async (account: Account) => {
			const context = await browser.newContext({ baseURL: gateway.url, viewport: { width: 1280, height: 800 } });
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
		};
		const nodeOf = (page: Page) => sockets.get(page)!.at(-1)!;
		const A = await signIn(alice);
		const B = await signIn(bob);
		const aliceNode = nodeOf(A.page);
		const bobNode = nodeOf(B.page);
		expect(aliceNode).not.toBe(bobNode);
		mark(`signed in: Alice on ${aliceNode}, Bob on ${bobNode}`);

		await threadItem(A.page, 'Bob Builder').click();
		await threadItem(B.page, 'Alice Liddell').click();
		await send(A.page, 'Bob Builder', 'before the crash');
		await expect(bubble(B.page, 'before the crash')).toHaveCount(1);
		await send(B.page, 'Alice Liddell', 'got it');
		await expect(bubble(A.page, 'got it')).toHaveCount(1);

		// kill -9 of Alice's node. She writes at once; the page reconnects through the gateway by itself.
		const victim = procs.find((p) => p.name === aliceNode)!;
		victim.child.kill('SIGKILL');
		const killedAt = Date.now();
		mark(`killed ${aliceNode}`);
		await send(A.page, 'Bob Builder', 'written as my node died');
		// Alice's page is on Bob's node now (the only one alive).
		await expect.poll(() => nodeOf(A.page), { timeout: 20_000 }).toBe(bobNode);
		mark(`Alice's page reconnected to ${bobNode} ${Date.now() - killedAt} ms after the kill`);
		await expect(bubble(B.page, 'written as my node died')).toHaveCount(1, { timeout: 20_000 });
		await send(B.page, 'Alice Liddell', 'and after it');
		await send(A.page, 'Bob Builder', 'still here');
		for (const page of [A.page, B.page]) {
			for (const text of ['before the crash', 'got it', 'written as my node died', 'and after it', 'still here']) await expect(bubble(page, text)).toHaveCount(1);
		}
		await expect(A.page.getByTestId('connection-banner')).toBeHidden();
		mark('conversation complete on both pages, each message once');
		await A.context.close();
		await B.context.close();
	} finally {
		for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
		await smtp.stop();
		await database.drop().catch(() => {});
		const { Redis } = await import('ioredis');
		const redis = new Redis(REDIS_URL);
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length > 0) await redis.del(...keys);
		await redis.quit();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
});
