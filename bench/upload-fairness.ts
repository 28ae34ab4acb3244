// Chat latency under a saturating upload (issue 17, flow control): one Parley node (gateway, chat and
// files on SQLite, in its own process) carries a chat between two users, one message every 10 ms from
// one to the other, latency = send → `message:new` on the peer's device. Each case measures it idle,
// then while a third user uploads as fast as the node takes it (bench/lib/upload-saturator.ts, its own
// process: 256 MiB tus uploads, one PATCH each, deleted when done, over and over), in turns (--rounds,
// default 4; 1 with --quick), so other work on the machine weighs on both alike. Cases:
//   - no rate: FILES_NODE_RATE unset (unlimited);
//   - node rate: FILES_NODE_RATE=--node-rate (default 32MB/s).
// The figure: p99 under the upload / p99 idle, per case; the goal is at most 2 with the node rate.
// Writes bench/results/upload-fairness.json and prints a table.
//
//   npm run bench -- upload-fairness [--quick] [--node-rate=32MB/s] [--seconds=10] [--rounds=4]
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { configureLogging } from '../server/logger.js';
import { spawnNode, type NodeChild } from './lib/children.js';
import { latencyHistogram, recordMs, summary, type Histogram, type LatencySummary } from './lib/histogram.js';
import { describeRun, loadAverage, machine, writeResults } from './lib/machine.js';
import { seedPairs, seedUsers } from './lib/seed.js';

const quick = process.argv.includes('--quick');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const nodeRate = arg('node-rate') ?? '32MB/s';
const phaseSeconds = Number(arg('seconds') ?? (quick ? 5 : 10));
const rounds = Number(arg('rounds') ?? (quick ? 1 : 4));
const uploadBytes = (quick ? 64 : 256) * 1024 * 1024;
const intervalMs = 10;
const here = import.meta.dirname;
configureLogging({ level: 'warn' });

const overall = setTimeout(
	() => {
		console.error('upload-fairness: still running after 10 minutes; giving up');
		process.exit(1);
	},
	10 * 60_000
);
overall.unref();

interface Phase {
	latency: LatencySummary;
	/** MiB/s the uploader got through (0 when idle). */
	uploadMiBps: number;
}

interface Node {
	url: string;
	child: NodeChild;
	chat: { token: string; threadId: string }[];
	uploaderToken: string;
	stop(): Promise<void>;
}

async function startNode(name: string, env: Record<string, string>): Promise<Node> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-fair-'));
	const databaseUrl = `sqlite:${path.join(dataDir, 'parley.db')}`;
	const [pair] = await seedPairs(databaseUrl, 1, 'chat');
	const [uploader] = await seedUsers({ databaseUrl, count: 1, prefix: 'uploader' });
	const child = spawnNode({
		script: path.join(here, 'lib', 'parley-node.ts'),
		cwd: dataDir,
		env: {
			PATH: process.env.PATH,
			HOME: process.env.HOME,
			HOST: '127.0.0.1',
			PORT: '0',
			PUBLIC_URL: 'http://127.0.0.1:9',
			DATABASE_URL: databaseUrl,
			DATA_DIR: dataDir,
			ROLES: 'gateway,chat,files',
			NODE_ID: name,
			RTMP_PORT: '0',
			LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
			MAX_UPLOAD_BYTES: String(4 * uploadBytes),
			UPLOAD_QUOTA_BYTES: String(1024 ** 4),
			...env
		}
	});
	const port = await child.request({ type: 'hello' }, (m: { ready?: number }) => m?.ready, 120_000).catch((error: Error) => {
		throw new Error(`Parley ${name} did not start: ${error.message}`);
	});
	return {
		url: `http://127.0.0.1:${port}`,
		child,
		chat: pair.users.map((u) => ({ token: u.token, threadId: pair.threadId })),
		uploaderToken: uploader.token,
		async stop() {
			await child.stop(5_000);
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

/** A device of a seeded user, connected through a fresh ticket; the chat URL PUBLIC_URL names is replaced by the real one. */
async function device(node: Node, token: string): Promise<Socket> {
	const res = await fetch(`${node.url}/api/auth/chat-ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
	if (res.status !== 200) throw new Error(`chat-ticket answered ${res.status}: ${await res.text()}`);
	const { chat } = (await res.json()) as { chat: { ticket: string } };
	const socket = connect(node.url, { auth: { ticket: chat.ticket }, transports: ['websocket'], reconnection: false, forceNew: true });
	await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
	return socket;
}

/** Sends one message every `intervalMs` for `seconds` (open loop: on schedule, whatever the answers) and times each to the peer. */
async function measure(node: Node, seconds: number): Promise<Histogram> {
	const [a, b] = [await device(node, node.chat[0].token), await device(node, node.chat[1].token)];
	const sentAt = new Map<string, number>();
	const histogram = latencyHistogram();
	let refused = 0;
	const reasons = new Set<string>();
	b.on('message:new', (payload: { message: { text: string | null } }) => {
		const at = sentAt.get(payload.message.text ?? '');
		if (at === undefined) return;
		recordMs(histogram, performance.now() - at);
		sentAt.delete(payload.message.text ?? '');
	});
	const start = performance.now();
	const count = Math.floor((seconds * 1000) / intervalMs);
	for (let i = 0; i < count; i++) {
		const due = start + i * intervalMs;
		const wait = due - performance.now();
		if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
		const text = `m${i}`;
		// Timed from when it was due, so a late send (this process held up) counts against the system.
		sentAt.set(text, due);
		a.emit('messages:send', { threadId: node.chat[0].threadId, clientId: randomUUID(), text }, (ack: { ok: boolean; error?: { code?: string; message?: string } }) => {
			if (ack.ok) return;
			// Refused (an overloaded node may say unavailable): no latency to time; counted and shown.
			sentAt.delete(text);
			refused++;
			reasons.add(`${ack.error?.code}: ${ack.error?.message}`);
		});
	}
	// The last answers, then anything still missing counts as lost.
	for (let i = 0; i < 600 && sentAt.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
	a.disconnect();
	b.disconnect();
	if (sentAt.size > 0) throw new Error(`${sentAt.size} messages never arrived (${refused} refused: ${[...reasons].join('; ')})`);
	if (refused > 0) console.warn(`upload-fairness: ${refused} of ${count} sends refused (${[...reasons].join('; ')}); they are not in the latencies`);
	return histogram;
}

async function underUpload(node: Node): Promise<{ latency: Histogram; uploadMiBps: number }> {
	const saturator = spawnNode({ script: path.join(here, 'lib', 'upload-saturator.ts'), args: [node.url, node.uploaderToken, String(uploadBytes)] });
	let bytes = 0;
	const errors: string[] = [];
	saturator.child.on('message', (m: { bytes?: number; error?: string }) => {
		if (m.bytes !== undefined) bytes = m.bytes;
		if (m.error) errors.push(m.error);
	});
	try {
		// Let the upload get going (and the server's buffers fill) before measuring.
		await new Promise((resolve) => setTimeout(resolve, 2000));
		const before = bytes;
		const start = performance.now();
		const latency = await measure(node, phaseSeconds);
		const uploadMiBps = (bytes - before) / 1024 / 1024 / ((performance.now() - start) / 1000);
		if (errors.length > 0) throw new Error(`the upload failed: ${errors.slice(0, 3).join('; ')}`);
		return { latency, uploadMiBps };
	} finally {
		await saturator.stop(2_000);
	}
}

async function runCase(name: string, env: Record<string, string>) {
	const node = await startNode(name.replaceAll(' ', '-'), env);
	try {
		// A warm-up, not counted: the first messages pay for JIT and cold caches.
		await measure(node, 2);
		const idleHistogram = latencyHistogram();
		const loadedHistogram = latencyHistogram();
		const rates: number[] = [];
		for (let r = 0; r < rounds; r++) {
			idleHistogram.add(await measure(node, phaseSeconds));
			const loaded = await underUpload(node);
			loadedHistogram.add(loaded.latency);
			rates.push(loaded.uploadMiBps);
		}
		const idle: Phase = { latency: summary(idleHistogram), uploadMiBps: 0 };
		const loaded: Phase = { latency: summary(loadedHistogram), uploadMiBps: rates.reduce((a, b) => a + b, 0) / rates.length };
		return { case: name, env, idle, loaded, ratio: Math.round((loaded.latency.p99Ms / idle.latency.p99Ms) * 100) / 100 };
	} finally {
		await node.stop();
	}
}

const load = { before: loadAverage(), after: 0 };
const rows = [await runCase('no rate', {}), await runCase('node rate', { FILES_NODE_RATE: nodeRate })];
load.after = loadAverage();
const m = machine();
const file = writeResults('upload-fairness', { scenario: 'upload-fairness', quick, nodeRate, phaseSeconds, rounds, intervalMs, uploadBytes, machine: m, loadAverage: load, at: new Date().toISOString(), rows });
console.log(`chat p99 idle vs. under a saturating upload, one node, ${rounds} × ${phaseSeconds} s of each, in turns (${describeRun(m, load)})`);
console.log('| case | idle p50 / p99 ms | under upload p50 / p99 ms | p99 ratio | upload MiB/s |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
	const label = r.case === 'node rate' ? `FILES_NODE_RATE=${nodeRate}` : 'no rate';
	console.log(`| ${label} | ${r.idle.latency.p50Ms} / ${r.idle.latency.p99Ms} | ${r.loaded.latency.p50Ms} / ${r.loaded.latency.p99Ms} | ${r.ratio.toFixed(2)} | ${r.loaded.uploadMiBps.toFixed(0)} |`);
}
console.log(`written to ${file}`);
