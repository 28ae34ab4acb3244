import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/db/database.js';
import type { Message, Thread } from '../../src/lib/protocol/index.js';
import { backendNames, createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from '../helpers/backends.js';
import { befriend, person, request, type Person } from '../helpers/chat.js';
import { history } from '../helpers/groups.js';
import { startParley, type TestParley } from '../helpers/parley.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';

// PostgreSQL closes a pooled connection under Parley when it restarts, fails over, or an administrator
// terminates the backend (57P01). The pool reports that as an 'error' event; unheard, Node would throw
// it and the whole process would end. Parley must hear it, say so, and go on with a new connection.
describe.skipIf(!backendNames().includes('postgres'))('postgres: a connection closed by the server', () => {
	let database: TestDatabase;
	let db: Db;
	const heard: Error[] = [];

	beforeAll(async () => {
		database = await createTestDatabase('postgres');
		db = await openDatabase({ url: database.url, poolSize: 3, onIdleError: (error) => heard.push(error) });
	});
	afterAll(async () => {
		await db?.close();
		await database?.drop();
	});

	it('is reported, not thrown, and the next query runs on a fresh connection', async () => {
		// Three connections open at once, then idle in the pool.
		await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.05)`.execute(db.db)));
		const dbName = new URL(database.url).pathname.slice(1);
		const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
		await admin.connect();
		let killedCount = 0;
		try {
			const killed = await admin.query('select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
			killedCount = killed.rowCount ?? 0;
			expect(killedCount).toBeGreaterThanOrEqual(1);
		} finally {
			await admin.end();
		}
		// Every closed connection is reported; until then a query could still be handed one of them (the
		// pool cannot know before the server's notice arrives), which is not what this test is about.
		await expect.poll(() => heard.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(killedCount);
		expect(heard.every((e) => /terminat/i.test(e.message))).toBe(true);
		const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db.db);
		expect(Number(rows[0].one)).toBe(1);
	});

	it('a connection closed while checked out (between a transaction’s statements) is heard too, never thrown', async () => {
		const before = heard.length;
		const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
		await admin.connect();
		try {
			const tx = db.db.transaction().execute(async (trx) => {
				const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
				await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
				// The notice arrives while no statement runs: unheard, it would end the process.
				await expect.poll(() => heard.length, { timeout: 10_000 }).toBeGreaterThan(before).catch(() => {});
				await sql`select 1`.execute(trx);
			});
			await expect(tx).rejects.toThrow();
			expect(heard.length).toBeGreaterThan(before);
		} finally {
			await admin.end();
		}
		const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db.db);
		expect(Number(rows[0].one)).toBe(1);
	});
});

// Issue 16, outages: PostgreSQL restarted (a fast shutdown, then a start) under a stream of sends, on a
// private cluster so the machine's PostgreSQL is never touched. While it is down every send is acked
// with a clear error (503 `unavailable`: nothing stored, try again); the client resends by clientId;
// afterwards every message is stored exactly once, in order, gapless.
describe.skipIf(!backendNames().includes('postgres'))('postgres: restarted during traffic', () => {
	let pgServer: PrivatePostgres;
	let t: TestParley;
	let alice: Person;
	let bob: Person;
	let thread: Thread;
	const COUNT = 30;

	beforeAll(async () => {
		pgServer = await startPrivatePostgres();
		t = await startParley('postgres', { env: { DATABASE_URL: pgServer.url, SEND_RATE_LIMIT: '100000/1m' }, parley: { limits: { codesPerIp: 10_000 } } });
		[alice, bob] = await Promise.all([person(t), person(t)]);
		thread = await befriend(alice, bob);
	}, 120_000);
	afterAll(async () => {
		await t?.stop();
		await pgServer?.remove();
	});

	it('sends fail with a clear error ack while it is down; resent by clientId, nothing is lost or doubled', async () => {
		const acked: Message[] = [];
		const refused: Array<{ code: string; message: string }> = [];
		const sender = (async () => {
			for (let i = 0; i < COUNT; i++) {
				const clientId = crypto.randomUUID();
				for (;;) {
					const ack = await request<{ message: Message }>(alice.socket, 'messages:send', { threadId: thread.id, clientId, text: `#${i}` });
					if (ack.ok) {
						acked.push(ack.message);
						break;
					}
					refused.push(ack.error);
					await new Promise((resolve) => setTimeout(resolve, 100));
				}
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		})();
		await expect.poll(() => acked.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(8);
		const stoppedAt = Date.now();
		await pgServer.stop();
		await expect.poll(() => refused.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
		await pgServer.start();
		const startedAt = Date.now();
		await sender;
		const doneAt = Date.now();

		expect(refused.length).toBeGreaterThanOrEqual(3);
		for (const error of refused) expect(error, JSON.stringify(error)).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/database/) });
		const stored = await history(bob.socket, thread.id);
		expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
		expect(stored.map((m) => m.text)).toEqual(Array.from({ length: COUNT }, (_, i) => `#${i}`));
		expect(stored.map((m) => m.id)).toEqual(acked.map((m) => m.id));
		console.log(`[outage figures] PostgreSQL down ${startedAt - stoppedAt} ms: ${refused.length} sends refused (unavailable) and resent; all ${COUNT} stored once, the last ${doneAt - startedAt} ms after it was back`);
	});
});
