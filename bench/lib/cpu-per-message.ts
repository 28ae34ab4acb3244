// Server CPU time per message on the send path, for before/after figures of a change to it: one
// Parley node in its own process (parley-node.ts), `pairs` pairs of users with one device each, every
// user sending as fast as its acks come back (closed loop, one in flight per user) until `total`
// messages are stored; CPU seconds of the server process (from /proc) divided by messages. CPU time
// holds up on a busy machine far better than throughput or latency do.
//
//   node --import tsx bench/lib/cpu-per-message.ts [sqlite|postgres] [total] [--cpu-prof=DIR]
//
// With --cpu-prof=DIR the server runs under V8's profiler and writes its .cpuprofile there on exit
// (summarise it with bench/lib/profile-summary.ts).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { insertFriendship } from '../../server/chat/friends/friends.repository.js';
import { ensurePrivateThread } from '../../server/chat/conversations/threads.repository.js';
import { openDatabase } from '../../server/db/database.js';
import { nowIso } from '../../server/db/ids.js';
import { configureLogging } from '../../server/logger.js';
import { createTestDatabase } from '../../tests/helpers/backends.js';
import { spawnNode } from './children.js';
import { cpuSeconds } from './procstat.js';
import { seedUsers } from './seed.js';

configureLogging({ level: 'warn' });
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const backend = (positional[0] ?? 'sqlite') as 'sqlite' | 'postgres';
const total = Number(positional[1] ?? 20_000);
const cpuProfDir = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const pairs = 20;

const database = await createTestDatabase(backend);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-cpu-'));
const users = await seedUsers({ databaseUrl: database.url, count: 2 * pairs, prefix: 'cpu' });
const db = await openDatabase({ url: database.url });
const threads: string[] = [];
for (let p = 0; p < pairs; p++) {
	threads.push(
		await db.db.transaction().execute(async (trx) => {
			const id = await ensurePrivateThread(trx, users[2 * p].userId, users[2 * p + 1].userId, nowIso());
			await insertFriendship(trx, users[2 * p].userId, users[2 * p + 1].userId, id, nowIso());
			return id;
		})
	);
}
await db.close();
const probe = net.createServer().listen(0, '127.0.0.1');
await new Promise((r) => probe.once('listening', r));
const port = (probe.address() as net.AddressInfo).port;
probe.close();
const url = `http://127.0.0.1:${port}`;
const server = spawnNode({
	script: path.join(import.meta.dirname, 'parley-node.ts'),
	execArgv: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfDir)}`] : [],
	cwd: dataDir,
	env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, DATABASE_URL: database.url, DATA_DIR: dataDir, ROLES: 'gateway,chat', LOG_LEVEL: 'warn', NODE_ID: 'cpu' }
});
try {
	await server.request({ type: 'hello' }, (m: { ready?: number }) => m?.ready, 60_000);
	const sockets: Socket[] = [];
	for (const u of users) {
		const res = await fetch(`${url}/api/auth/chat-ticket`, { method: 'POST', headers: { authorization: `Bearer ${u.token}` } });
		const { chat } = (await res.json()) as { chat: { ticket: string } };
		const socket = connect(url, { auth: { ticket: chat.ticket }, transports: ['websocket'], reconnection: false, forceNew: true });
		await new Promise((resolve, reject) => socket.once('connect', () => resolve(undefined)).once('connect_error', reject));
		sockets.push(socket);
	}
	let sent = 0;
	const warm = Math.min(2_000, total / 5);
	let start = 0;
	let wallStart = 0;
	await Promise.all(
		sockets.map(async (socket, i) => {
			for (;;) {
				const n = sent++;
				if (n >= total + warm) return;
				if (n === warm) {
					start = cpuSeconds(server.pid);
					wallStart = Date.now();
				}
				const ack = (await socket.timeout(60_000).emitWithAck('messages:send', { threadId: threads[Math.floor(i / 2)], clientId: crypto.randomUUID(), text: `m${n} ${'x'.repeat(94)}` })) as { ok: boolean; error?: { message: string } };
				if (!ack.ok) throw new Error(ack.error?.message);
			}
		})
	);
	const cpu = cpuSeconds(server.pid) - start;
	console.log(JSON.stringify({ backend, messages: total, serverCpuMsPerMessage: Math.round(((cpu * 1000) / total) * 1000) / 1000, wallSeconds: (Date.now() - wallStart) / 1000, load: os.loadavg()[0] }));
	for (const s of sockets) s.disconnect();
} finally {
	await server.stop(10_000);
	await database.drop();
	fs.rmSync(dataDir, { recursive: true, force: true });
}
