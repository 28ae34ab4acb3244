import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test as base, expect, type APIRequestContext, type Browser, type BrowserContext } from '@playwright/test';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { SmtpCatcher } from '../helpers/smtp.js';

export { expect };

/** The built Parley one worker talks to, with the SMTP server that catches its mail. */
export interface ParleyServer {
	baseURL: string;
	smtp: SmtpCatcher;
	/** The RTMP ingest's port on 127.0.0.1, when the worker asked for one (`test.use({ rtmp: true })`); else null. */
	rtmpPort: number | null;
	/** Everything the server printed so far (shown when a test fails to start it). */
	output(): string;
	/** The S3 server the worker's files are kept in (`test.use({ s3: true })`); else null. */
	s3: TestS3 | null;
}

export interface Account {
	username: string;
	email: string;
	password: string;
	displayName: string;
}

const ROOT = path.resolve(import.meta.dirname, '../..');
export const SERVER_ENTRY = path.join(ROOT, 'build', 'server.js');
/** Settings the server reads; cleared from the inherited environment so a developer's shell cannot leak in. */
const PARLEY_ENV = ['DATABASE_URL', 'DATA_DIR', 'HOST', 'LOG_LEVEL', 'MAIL_FROM', 'MAX_UPLOAD_BYTES', 'NODE_ID', 'PORT', 'PUBLIC_URL', 'REDIS_URL', 'RTMP_HOST', 'RTMP_PORT', 'RTMP_PUBLIC_URL', 'ROLES', 'SESSION_DAYS', 'CODES_PER_IP', 'CODE_RESEND_SECONDS', 'SMTP_URL', 'TRUST_PROXY', 'UPLOAD_DIR', 'FILES_UPLOAD_RATE', 'FILES_DOWNLOAD_RATE', 'FILES_NODE_RATE', 'FILES_STORE', 'FILES_ENCRYPTION_KEY', 'FILES_ENCRYPTION_KEY_FILE'];

let counter = 0;
/** A name no other test (or earlier run) uses. */
export function uniqueName(prefix = 'e2e'): string {
	return `${prefix}${Date.now().toString(36).slice(-6)}${++counter}${Math.floor(Math.random() * 1000)}`;
}

/** What a page may log without failing the test: see `pageErrors`. */
export interface PageErrors {
	/**
	 * Lets console errors matching `pattern` pass in this test; `why` says why they are expected there.
	 * Uncaught errors always fail.
	 */
	allow(pattern: RegExp, why: string): void;
}

/**
 * Console errors any page may log while nothing is wrong. Kept narrow: an app error or a Svelte runtime
 * error (an effect loop, `effect_update_depth_exceeded`) must never match.
 */
const EXPECTED_CONSOLE_ERRORS: ReadonlyArray<{ pattern: RegExp; why: string }> = [
	{
		pattern: /^Failed to load resource: (the server responded with a status of 4\d\d |net::ERR_INTERNET_DISCONNECTED$)/,
		why: "Chromium's own line for a request answered 4xx or made offline, not the page's: the login page asks /api/me (401 when signed out), tests refuse things on purpose and go offline; each test checks the answers it cares about"
	}
];

export const test = base.extend<{ signUp: (overrides?: Partial<Account>) => Promise<Account>; pageErrors: PageErrors }, { parley: ParleyServer; rtmp: boolean; s3: boolean; serverEnv: Record<string, string> }>({
	/**
	 * Whether the worker's server listens for RTMP, on a free port of 127.0.0.1. Off by default (the
	 * workers' servers would all want 1935); a file that needs it says `test.use({ rtmp: true })`, which
	 * gives it workers of its own, so other files' servers stay as they were.
	 */
	rtmp: [false, { scope: 'worker', option: true }],

	/** More settings for the worker's server (`test.use({ serverEnv: { FILES_UPLOAD_RATE: '1MiB/s' } })`: workers of its own, as `rtmp`). */
	serverEnv: [{}, { scope: 'worker', option: true }],

	/** Files in a bucket of an S3 server of the worker's own (FILES_STORE), not on the disk (`test.use({ s3: true })`). */
	s3: [false, { scope: 'worker', option: true }],

	/**
	 * Fails the test on any uncaught error or console error in the pages it opened, in the `page`
	 * fixture's context and in every context made with `browser.newContext` (most tests make their own,
	 * one per user, so `browser.newContext` is wrapped for the test's duration). Svelte's runtime errors,
	 * such as an effect loop cut off (`effect_update_depth_exceeded`), show only there: the page goes on.
	 */
	pageErrors: [
		async ({ browser }, use) => {
			const allowed = [...EXPECTED_CONSOLE_ERRORS];
			const uncaught: string[] = [];
			const logged: Array<{ text: string; where: string }> = [];
			const watch = (context: BrowserContext) => {
				context.on('weberror', (error) => uncaught.push(`uncaught in ${error.page()?.url() ?? 'a worker'}: ${error.error().stack ?? error.error().message}`));
				context.on('console', (message) => {
					if (message.type() !== 'error') return;
					const { url, lineNumber } = message.location();
					logged.push({ text: message.text(), where: `${message.page()?.url() ?? 'a worker'} (${url}:${lineNumber})` });
				});
			};
			const newContext = browser.newContext;
			browser.newContext = async function (this: Browser, ...args: Parameters<Browser['newContext']>) {
				const context = await newContext.apply(this, args);
				watch(context);
				return context;
			};
			try {
				await use({ allow: (pattern, why) => void allowed.push({ pattern, why }) });
			} finally {
				browser.newContext = newContext;
			}
			const unexpected = logged.filter(({ text }) => !allowed.some(({ pattern }) => pattern.test(text))).map(({ text, where }) => `console.error in ${where}: ${text}`);
			expect([...uncaught, ...unexpected], 'uncaught errors and console errors in the pages').toEqual([]);
		},
		{ auto: true }
	],

	parley: [
		async ({ rtmp, s3, serverEnv }, use) => {
			const smtp = await new SmtpCatcher().start();
			const bucket = s3 ? await startS3() : null;
			const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-'));
			const port = await freePort();
			const rtmpPort = rtmp ? await freePort() : null;
			const baseURL = `http://127.0.0.1:${port}`;
			const env: NodeJS.ProcessEnv = { ...process.env };
			for (const name of PARLEY_ENV) delete env[name];
			Object.assign(env, {
				PORT: String(port),
				HOST: '127.0.0.1',
				DATA_DIR: dataDir,
				DATABASE_URL: `sqlite:${path.join(dataDir, 'parley.db')}`,
				SMTP_URL: smtp.url,
				PUBLIC_URL: baseURL,
				LOG_LEVEL: 'warn',
				// No RTMP listener unless asked for: the workers' servers would all want port 1935.
				RTMP_PORT: String(rtmpPort ?? 0),
				RTMP_HOST: '127.0.0.1',
				// Every account a worker's tests make asks for its code from 127.0.0.1: more than the
				// default 30 per 10 minutes once a worker runs a dozen tests.
				CODES_PER_IP: '1000',
				// A signed-up account's email waits this long for its next code (default 60 s): the tests
				// that reset a password wait it out, and the page counts down what the server says.
				CODE_RESEND_SECONDS: '20',
				...(bucket ? { FILES_STORE: bucket.url } : {}),
				...serverEnv
			});
			// cwd is the temporary directory, so a developer's .env in the repository is not read.
			const child = spawn(process.execPath, [SERVER_ENTRY], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
			let output = '';
			child.stdout.on('data', (chunk: Buffer) => (output += chunk));
			child.stderr.on('data', (chunk: Buffer) => (output += chunk));
			try {
				await waitForHealth(baseURL, child, () => output);
				await use({ baseURL, smtp, rtmpPort, output: () => output, s3: bucket });
			} finally {
				await stop(child);
				await smtp.stop();
				await bucket?.stop();
				fs.rmSync(dataDir, { recursive: true, force: true });
			}
		},
		{ scope: 'worker', timeout: 60_000 }
	],

	baseURL: async ({ parley }, use) => use(parley.baseURL),

	/** Registers an account through the API (the code read from the SMTP catcher), without signing in. */
	signUp: async ({ parley, request }, use) => {
		await use((overrides = {}) => signUpThroughApi(request, parley.smtp, overrides));
	}
});

async function signUpThroughApi(request: APIRequestContext, smtp: SmtpCatcher, overrides: Partial<Account>): Promise<Account> {
	const username = overrides.username ?? uniqueName();
	const account: Account = {
		username,
		email: overrides.email ?? `${username}@example.test`,
		password: overrides.password ?? 'correct horse battery staple',
		displayName: overrides.displayName ?? `Test ${username}`
	};
	const before = smtp.mails.length;
	const sent = await request.post('/api/auth/verification', { data: { email: account.email, purpose: 'register' } });
	expect(sent.status(), await sent.text()).toBe(202);
	const code = await smtp.codeFor(account.email, before);
	const registered = await request.post('/api/auth/register', { data: { ...account, code } });
	expect(registered.status(), await registered.text()).toBe(201);
	return account;
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

async function waitForHealth(baseURL: string, child: ChildProcess, output: () => string): Promise<void> {
	const deadline = Date.now() + 30_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`Parley exited with code ${child.exitCode} before it was healthy:\n${output()}`);
		try {
			const res = await fetch(`${baseURL}/healthz`);
			if (res.ok) return;
		} catch {
			// Not listening yet.
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error(`Parley did not answer ${baseURL}/healthz within 30 s:\n${output()}`);
}

async function stop(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
	await exited;
	clearTimeout(timer);
}
