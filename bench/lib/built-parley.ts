// The built Parley (`npm run build` → build/server.js, the web app included), every role on, in a
// process of its own on SQLite in a temporary directory, with a real SMTP server in this process to
// catch the sign-up codes: what the browser tests start (tests/e2e/fixtures.ts), for benchmarks that
// drive browsers against it. Its mediasoup workers are found as in production (MEDIASOUP_WORKER_BIN,
// the package's own, or `npm run setup:media`'s cache).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SmtpCatcher } from '../../tests/helpers/smtp.js';
import { spawnNode } from './children.js';
import { freePort, parleyEnv, waitForHealth } from './parley-process.js';

export interface Account {
	username: string;
	email: string;
	password: string;
	displayName: string;
}

export interface BuiltParley {
	baseUrl: string;
	pid: number;
	/** Registers through the real endpoints (the code read from the SMTP catcher), without signing in. */
	signUp(username: string, displayName: string): Promise<Account>;
	stop(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BUILT_SERVER = path.join(process.env.PARLEY_BUILD_DIR ?? path.join(ROOT, 'build'), 'server.js');

/** `settings` override the server's environment (e.g. RTMP_PORT for the live bench; benches default it to 0, off). */
export async function startBuiltParley(settings: Record<string, string> = {}): Promise<BuiltParley> {
	if (!fs.existsSync(BUILT_SERVER)) throw new Error(`no ${BUILT_SERVER}: run \`npm run build\` first`);
	const smtp = await new SmtpCatcher().start();
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-calls-'));
	const port = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;
	const env = parleyEnv({ port, dataDir, settings: { SMTP_URL: smtp.url, NODE_ID: 'bench-calls', CODES_PER_IP: '1000', ...settings } });
	const child = spawnNode({ script: BUILT_SERVER, tsx: false, env, cwd: dataDir });
	const cleanUp = async () => {
		await child.stop(10_000);
		await smtp.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	};
	try {
		await waitForHealth(`${baseUrl}/healthz`, child, 60_000);
	} catch (error) {
		await cleanUp();
		throw error;
	}
	const post = (p: string, body: unknown) => fetch(baseUrl + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
	return {
		baseUrl,
		pid: child.pid,
		async signUp(username, displayName) {
			const account = { username, email: `${username}@example.test`, password: 'correct horse battery staple', displayName };
			const before = smtp.mails.length;
			const sent = await post('/api/auth/verification', { email: account.email, purpose: 'register' });
			if (sent.status !== 202) throw new Error(`verification: ${sent.status} ${await sent.text()}`);
			const code = await smtp.codeFor(account.email, before);
			const registered = await post('/api/auth/register', { ...account, code });
			if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
			return account;
		},
		stop: cleanUp
	};
}
