// Group commit of private sends (issue 15, server/chat/messages/commit-batch.ts) against one commit per
// message, the storage alone, on each database: `pairs` private threads, both users of each sending
// closed loop (the next send when the last one's promise settles, as many in flight as senders, as a
// busy chat node has). The baseline is main's send before group commit: each message its own
// transaction (SQLite, MariaDB) or statement (PostgreSQL), as many at once as the pool has connections,
// a deadlock victim retried; against it the CommitBatch (up to 256 a batch, one batch at a time). Rounds alternate so that a change in the machine's load hits both; the ratio
// of each round pair is the figure. CPU is this process's (the database server's is not counted).
//
//   npm run bench -- group-commit [--quick] [--only=sqlite,postgres,mysql] [--per-sender=N]
import { insertFriendship } from '../server/chat/friends/friends.repository.js';
import { ensurePrivateThread } from '../server/chat/conversations/threads.repository.js';
import { CommitBatch, writeBatch } from '../server/chat/messages/commit-batch.js';
import { retryTransaction } from '../server/db/transactions.js';
import type { NewMessageRow } from '../server/chat/messages/messages.repository.js';
import { openDatabase } from '../server/db/database.js';
import { newId, nowIso } from '../server/db/ids.js';
import { configureLogging, log } from '../server/logger.js';
import { createTestDatabase, type BackendName } from '../tests/helpers/backends.js';
import { describeRun, loadAverage, machine, writeResults } from './lib/machine.js';
import { seedUsers } from './lib/seed.js';

configureLogging({ level: 'warn' });
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = process.argv.includes('--quick');
const backends = (arg('only')?.split(',') ?? ['sqlite', 'postgres', 'mysql']) as BackendName[];
const perSender = Number(arg('per-sender') ?? (quick ? 10 : 40));
const pairs = 50;
const rounds = quick ? 1 : 3;

interface Round {
	mode: 'one commit per message' | 'group commit';
	messages: number;
	msgsPerS: number;
	cpuUsPerMessage: number;
	load: number;
}

async function measure(backend: BackendName): Promise<{ backend: BackendName; rounds: Round[] }> {
	const database = await createTestDatabase(backend);
	const users = await seedUsers({ databaseUrl: database.url, count: 2 * pairs, prefix: 'gc' });
	const { db, close } = await openDatabase({ url: database.url });
	try {
		const threads: string[] = [];
		for (let p = 0; p < pairs; p++) {
			threads.push(
				await db.transaction().execute(async (trx) => {
					const id = await ensurePrivateThread(trx, users[2 * p].userId, users[2 * p + 1].userId, nowIso());
					await insertFriendship(trx, users[2 * p].userId, users[2 * p + 1].userId, id, nowIso());
					return id;
				})
			);
		}
		const row = (u: number): NewMessageRow => ({ id: newId(), thread_id: threads[u >> 1], sender_id: users[u].userId, client_id: newId(), kind: 'text', text: 'x'.repeat(100), file_id: null, created_at: nowIso() });
		const run = async (mode: Round['mode']): Promise<Round> => {
			const batch = new CommitBatch({ db, log });
			const store = mode === 'group commit' ? (r: NewMessageRow) => batch.store(r) : (r: NewMessageRow) => retryTransaction(() => writeBatch(db, [r]));
			const cpu = process.cpuUsage();
			const started = performance.now();
			await Promise.all(users.map(async (_, u) => {
				for (let i = 0; i < perSender; i++) await store(row(u));
			}));
			const seconds = (performance.now() - started) / 1000;
			const used = process.cpuUsage(cpu);
			const messages = users.length * perSender;
			return { mode, messages, msgsPerS: Math.round(messages / seconds), cpuUsPerMessage: Math.round((used.user + used.system) / messages), load: loadAverage() };
		};
		// Unmeasured: the JIT, the statement caches and the database's buffers warm up on both paths.
		await run('one commit per message');
		await run('group commit');
		const results: Round[] = [];
		for (let r = 0; r < rounds; r++) {
			for (const mode of ['one commit per message', 'group commit'] as const) {
				const round = await run(mode);
				results.push(round);
				console.log(`  ${backend} ${mode.padEnd(22)} ${String(round.msgsPerS).padStart(6)} msgs/s  ${String(round.cpuUsPerMessage).padStart(5)} µs CPU/msg  (load ${round.load})`);
			}
		}
		return { backend, rounds: results };
	} finally {
		await close();
		await database.drop();
	}
}

const loadBefore = loadAverage();
console.log(`group-commit: ${pairs} private threads, ${2 * pairs} senders closed loop, ${perSender} messages each per round, ${rounds} round(s)`);
const results = [];
for (const backend of backends) results.push(await measure(backend));
const m = machine();
console.log(`\ngroup-commit (${describeRun(m, { before: loadBefore, after: loadAverage() })})`);
console.log('| database | one commit per message: msgs/s | group commit: msgs/s | ratio | CPU µs/msg, one per message | group commit | ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const { backend, rounds: list } of results) {
	for (let i = 0; i + 1 < list.length; i += 2) {
		const [one, group] = [list[i], list[i + 1]];
		console.log(`| ${backend} | ${one.msgsPerS} | ${group.msgsPerS} | ${(group.msgsPerS / one.msgsPerS).toFixed(2)} | ${one.cpuUsPerMessage} | ${group.cpuUsPerMessage} | ${(one.cpuUsPerMessage / group.cpuUsPerMessage).toFixed(2)} |`);
	}
}
writeResults('group-commit', { quick, machine: m, load: { before: loadBefore, after: loadAverage() }, perSender, pairs, results });
