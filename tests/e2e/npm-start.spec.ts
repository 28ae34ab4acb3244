import { test, expect } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './fixtures';

// `npm start` under a process manager that signals only npm (pm2, an init script's kill): the server
// behind npm must drain and exit, never keep running orphaned. No page here: these drive the built
// server through npm itself, as an operator's process manager does.
const ROOT = path.resolve(import.meta.dirname, '../..');

interface Started {
	npm: ChildProcess;
	server: number;
	output: () => string;
	baseURL: string;
	dataDir: string;
}

async function npmStart(): Promise<Started> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-npm-start-'));
	const port = await freePort();
	const baseURL = `http://127.0.0.1:${port}`;
	const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: `sqlite:${path.join(dataDir, 'parley.db')}`, PUBLIC_URL: baseURL, RTMP_PORT: '0', LOG_LEVEL: 'info' };
	for (const name of ['REDIS_URL', 'ROLES', 'NODE_ID', 'CHAT_PROCESSES', 'UPLOAD_DIR', 'SMTP_URL']) delete env[name];
	const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	npm.stdout!.on('data', (chunk: Buffer) => (output += chunk));
	npm.stderr!.on('data', (chunk: Buffer) => (output += chunk));
	await expect.poll(async () => (await fetch(`${baseURL}/healthz`).catch(() => null))?.status ?? 0, { timeout: 30_000, message: 'the server answering /healthz' }).toBe(200);
	const children = execFileSync('pgrep', ['-P', String(npm.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
	expect(children, `npm's children (${output})`).toHaveLength(1);
	return { npm, server: children[0], output: () => output, baseURL, dataDir };
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

test.describe('npm start and signals', () => {
	test('SIGTERM to npm drains and stops the server, and npm exits', async () => {
		const started = await npmStart();
		const exited = new Promise<number | null>((resolve) => started.npm.once('exit', (code) => resolve(code)));
		started.npm.kill('SIGTERM');
		await exited;
		await expect.poll(() => alive(started.server), { timeout: 20_000, message: 'the server process gone' }).toBe(false);
		expect(started.output()).toContain('SIGTERM: draining');
		expect(started.output()).toContain('closed');
		await expect(fetch(`${started.baseURL}/healthz`)).rejects.toThrow();
		fs.rmSync(started.dataDir, { recursive: true, force: true });
	});

	test('npm killed outright (SIGKILL): the orphaned server notices and stops itself', async () => {
		const started = await npmStart();
		started.npm.kill('SIGKILL');
		await expect.poll(() => alive(started.server), { timeout: 20_000, message: 'the orphaned server gone' }).toBe(false);
		await expect(fetch(`${started.baseURL}/healthz`)).rejects.toThrow();
		fs.rmSync(started.dataDir, { recursive: true, force: true });
	});
});
