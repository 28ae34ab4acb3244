// Unread counts (issue 13): `Thread.unread` is counted by the database over the seq range above the
// reader's read mark (server/chat/messages/unread.repository.ts). One private thread of N messages
// from the other person (10 % call lines, 5 % deleted, texts of ~80 characters), the reader's mark at
// 0 (all N unread) and at N - 50 (a usual case); `unreadOf` timed with the `messages_unread` index
// (migration 20261208_0001) and again after dropping it (only `messages_thread_seq` left).
// Writes bench/results/unread.json. Never fails on timing.
//
//   npm run bench -- unread [--quick] [--only=sqlite,postgres,mysql] [--messages=N]
import { sql, type Kysely } from 'kysely';
import { unreadOf } from '../server/chat/messages/unread.repository.js';
import { openDatabase } from '../server/db/database.js';
import { newId } from '../server/db/ids.js';
import { migrateToLatest } from '../server/db/migrate.js';
import type { Database } from '../server/db/schema.js';
import { configureLogging } from '../server/logger.js';
import { createTestDatabase, type BackendName } from '../tests/helpers/backends.js';
import { loadAverage, machine, writeResults } from './lib/machine.js';

const quick = process.argv.includes('--quick');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const backends = (arg('only')?.split(',') ?? ['sqlite', 'postgres', 'mysql']) as BackendName[];
const total = Number(arg('messages') ?? (quick ? 5_000 : 100_000));
const runs = quick ? 5 : 15;
configureLogging({ level: 'warn' });

async function fill(db: Kysely<Database>): Promise<{ reader: string; threadId: string; expected: number }> {
	const at = '2026-01-01T00:00:00.000Z';
	const users = ['reader', 'writer'].map((name) => ({ id: newId(), username: name, username_key: name, email: `${name}@bench.test`, email_key: `${name}@bench.test`, display_name: name, bio: '', password_hash: 'x', created_at: at, updated_at: at }));
	await db.insertInto('users').values(users).execute();
	const threadId = newId();
	await db.insertInto('threads').values({ id: threadId, kind: 'private', private_key: `${users[0].id}:${users[1].id}`, last_seq: total, updated_at: at, created_at: at }).execute();
	await db.insertInto('thread_members').values(users.map((u) => ({ thread_id: threadId, user_id: u.id, read_seq: 0, delivered_seq: 0, joined_at: at }))).execute();
	let expected = 0;
	for (let from = 1; from <= total; from += 5000) {
		await db.transaction().execute(async (trx) => {
			for (let i = from; i < Math.min(total + 1, from + 5000); i += 500) {
				const rows = [];
				for (let seq = i; seq < Math.min(total + 1, i + 500); seq++) {
					const call = seq % 10 === 3;
					const deleted = !call && seq % 20 === 7;
					if (!call && !deleted) expected++;
					rows.push({ id: newId(), thread_id: threadId, seq, sender_id: users[1].id, client_id: `c${seq}`, kind: call ? 'call' : 'text', text: deleted ? null : `message ${seq} ${'lorem ipsum dolor '.repeat(4)}`, file_id: null, created_at: at, deleted_at: deleted ? at : null, change_seq: 0 } as const);
				}
				await trx.insertInto('messages').values(rows).execute();
			}
		});
	}
	return { reader: users[0].id, threadId, expected };
}

async function timed(db: Kysely<Database>, reader: string, threadId: string): Promise<{ medianMs: number; count: number }> {
	let count = 0;
	const times: number[] = [];
	for (let i = 0; i <= runs; i++) {
		const start = performance.now();
		count = (await unreadOf(db, reader, [threadId])).get(threadId) ?? 0;
		if (i > 0) times.push(performance.now() - start);
	}
	times.sort((x, y) => x - y);
	return { medianMs: Math.round(times[Math.floor(times.length / 2)] * 100) / 100, count };
}

async function analyze(db: Kysely<Database>, backend: BackendName): Promise<void> {
	if (backend === 'postgres') await sql`vacuum analyze messages`.execute(db);
	else if (backend === 'mysql') await sql`analyze table messages`.execute(db);
	else await sql`analyze`.execute(db);
}

const load = { before: loadAverage(), after: 0 };
const results: Record<string, unknown> = {};
for (const backend of backends) {
	const database = await createTestDatabase(backend);
	const { db, close } = await openDatabase({ url: database.url });
	try {
		await migrateToLatest(db);
		const { reader, threadId, expected } = await fill(db);
		await analyze(db, backend);
		const out: Record<string, unknown> = { messages: total, expectedAllUnread: expected };
		for (const index of ['with messages_unread', 'without it']) {
			if (index === 'without it') {
				const drop = db.schema.dropIndex('messages_unread');
				await (backend === 'mysql' ? drop.on('messages') : drop).execute();
				await analyze(db, backend);
			}
			await db.updateTable('thread_members').set({ read_seq: 0 }).where('user_id', '=', reader).execute();
			const all = await timed(db, reader, threadId);
			await db.updateTable('thread_members').set({ read_seq: total - 50 }).where('user_id', '=', reader).execute();
			const recent = await timed(db, reader, threadId);
			out[index] = { [`all ${total} unread`]: all, 'last 50 unread': recent };
			console.log(`${backend} ${index}: all unread ${all.medianMs} ms (count ${all.count}), last 50 ${recent.medianMs} ms (count ${recent.count})`);
		}
		results[backend] = out;
	} finally {
		await close();
		await database.drop();
	}
}
load.after = loadAverage();
console.log(`results: ${writeResults('unread', { machine: machine(), load, runs, results })}`);
