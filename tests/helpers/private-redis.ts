import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './parley.js';

/**
 * A throw-away redis-server of this test's own on a free port (no persistence: a restart comes back
 * empty, as a Redis without AOF or RDB does), so a test may stop and start it while other people's
 * tests keep using the machine's Redis on 6379.
 */
export interface PrivateRedis {
	url: string;
	port: number;
	/** Starts it again on the same port (empty); resolves once it answers PING. */
	start(): Promise<void>;
	/** Stops it (SIGTERM: no save, the sockets closed); resolves once the process is gone. */
	stop(): Promise<void>;
	running(): boolean;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
	const port = await freePort();
	let child: ChildProcess | undefined;
	let exited: Promise<void> = Promise.resolve();
	const output: string[] = [];

	const start = async () => {
		if (child) throw new Error('the private Redis is running already');
		const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
		child = proc;
		for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (d: Buffer) => output.push(d.toString()));
		exited = new Promise((resolve) => proc.once('exit', () => resolve()));
		void exited.then(() => {
			if (child === proc) child = undefined;
		});
		const deadline = Date.now() + 10_000;
		for (;;) {
			if (!child) throw new Error(`redis-server on port ${port} exited while starting:\n${output.join('')}`);
			const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
			probe.on('error', () => {});
			const ok = await probe.connect().then(() => probe.ping(), () => undefined).catch(() => undefined);
			probe.disconnect();
			if (ok === 'PONG') return;
			if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s:\n${output.join('')}`);
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	};
	await start();
	return {
		url: `redis://127.0.0.1:${port}`,
		port,
		start,
		async stop() {
			if (!child) return;
			child.kill('SIGTERM');
			await exited;
		},
		running: () => !!child
	};
}
