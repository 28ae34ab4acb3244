import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { LoginResponse } from '../../src/lib/protocol/index.js';
import { REDIS_URL, type BackendName } from './backends.js';
import { freePort, startParley, type TestParley } from './parley.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` is true, polling; throws `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, everyMs = 50): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await check()) return;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
}

/** A chat node in a child process (`node --import tsx server/main.ts`, no build needed). */
export interface ChatChild {
	name: string;
	url: string;
	process: ChildProcess;
	/** Everything it printed, stdout and stderr. */
	output: string[];
	/** Resolves with its exit code (null when killed by a signal) and the signal. */
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	alive(): boolean;
}

export interface TestCluster {
	/** The gateway, in this process (ROLES=gateway): sign-ups, logins, tickets, logout. */
	gateway: TestParley;
	nodes: Map<string, ChatChild>;
	/** This run's REDIS_PREFIX: its nodes, presence and channels are private to it. */
	prefix: string;
	heartbeatMs: number;
	redis: Redis;
	/** Starts one more chat node; resolves once the gateway sees it alive. */
	spawnNode(name: string, env?: Record<string, string>): Promise<ChatChild>;
	/** The live nodes as the gateway's /healthz lists them. */
	liveNodes(): Promise<Array<{ id: string; url: string; connections: number; draining: boolean }>>;
	/** The node a chat URL belongs to. */
	nodeOf(url: string): string;
	stop(): Promise<void>;
}


/**
 * A cluster on this machine, on real Redis and the given database: a gateway in this process and
 * `nodes` chat nodes as child processes (`chat-1` …), each with its own port and PUBLIC_URL. Every
 * Redis key of the run sits under its own prefix, so test files running side by side do not meet.
 */
export async function startCluster(options: {
	backend: BackendName;
	nodes?: number;
	heartbeatMs?: number;
	drainTimeoutMs?: number;
	/** Another Redis than the machine's (a private one a test restarts: tests/helpers/private-redis.ts). */
	redisUrl?: string;
}): Promise<TestCluster> {
	const redisUrl = options.redisUrl ?? REDIS_URL;
	// 500 ms: a node is dead after 1.5 s, which a busy test machine never reaches by a slow beat.
	const heartbeatMs = options.heartbeatMs ?? 500;
	const prefix = `parley-test:${randomBytes(4).toString('hex')}:`;
	const env = { REDIS_PREFIX: prefix, NODE_HEARTBEAT_MS: String(heartbeatMs) };
	const gateway = await startParley(options.backend, {
		redis: true,
		clientIp: `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`,
		env: { ...env, ROLES: 'gateway', NODE_ID: 'gateway', REDIS_URL: redisUrl },
		parley: { limits: { codesPerIp: 100_000, loginFailuresPerIp: 100_000 } }
	});
	const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
	// A test may restart its Redis: the client reconnects; its errors meanwhile are expected.
	redis.on('error', () => {});
	await redis.connect();
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-cluster-'));
	const nodes = new Map<string, ChatChild>();
	const urls = new Map<string, string>();

	const liveNodes: TestCluster['liveNodes'] = async () => (await gateway.request('GET', '/healthz')).body.nodes ?? [];

	async function spawnNode(name: string, extra: Record<string, string> = {}): Promise<ChatChild> {
		const port = await freePort();
		const url = `http://127.0.0.1:${port}`;
		const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
			cwd: ROOT,
			env: {
				PATH: process.env.PATH,
				HOME: process.env.HOME,
				...env,
				ROLES: 'chat',
				PORT: String(port),
				HOST: '127.0.0.1',
				PUBLIC_URL: url,
				NODE_ID: name,
				DATABASE_URL: gateway.database.url,
				REDIS_URL: redisUrl,
				DATA_DIR: path.join(dataDir, name),
				DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs ?? 8000),
				LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
				RTMP_PORT: '0',
				...extra
			},
			stdio: ['ignore', 'pipe', 'pipe']
		});
		const output: string[] = [];
		for (const stream of [child.stdout!, child.stderr!]) {
			stream.setEncoding('utf8');
			stream.on('data', (chunk: string) => {
				output.push(chunk);
				if (process.env.TEST_CLUSTER_LOGS) process.stderr.write(chunk.replace(/^(?=.)/gm, `[${name}] `));
			});
		}
		const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
		let done = false;
		void exited.then(() => (done = true));
		const node: ChatChild = { name, url, process: child, output, exited, alive: () => !done };
		nodes.set(name, node);
		urls.set(url, name);
		if (extra.REDIS_URL === '') return node;
		// A media node (ROLES=media) registers in the media registry, not among the chat nodes.
		const media = extra.ROLES === 'media';
		try {
			await until(async () => {
				if (done) throw new Error(`${media ? 'media' : 'chat'} node ${name} exited while starting:\n${output.join('')}`);
				if (media) return (await redis.hexists(`${prefix}media:info`, name)) === 1;
				return (await liveNodes()).some((n) => n.id === name);
			}, `node ${name} to register`, 60_000, 100);
		} catch (error) {
			child.kill('SIGKILL');
			throw error;
		}
		return node;
	}

	await Promise.all(Array.from({ length: options.nodes ?? 3 }, (_, i) => spawnNode(`chat-${i + 1}`)));

	return {
		gateway,
		nodes,
		prefix,
		heartbeatMs,
		redis,
		spawnNode,
		liveNodes,
		nodeOf: (url) => urls.get(url) ?? `unknown node ${url}`,
		async stop() {
			await Promise.all(
				[...nodes.values()].map(async (node) => {
					if (!node.alive()) return;
					node.process.kill('SIGKILL');
					await node.exited;
				})
			);
			await gateway.stop();
			const keys = await redis.keys(`${prefix}*`);
			if (keys.length > 0) await redis.del(...keys);
			await redis.quit();
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

/** Signs up through the gateway; returns the login (its chat URL names the node the balancer chose). */
export function signUp(cluster: TestCluster): Promise<LoginResponse & { password: string }> {
	return cluster.gateway.signUp();
}
