import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitBatch, DuplicateClientId } from '../../server/chat/messages/commit-batch.js';
import type { MessageRow, NewMessageRow } from '../../server/chat/messages/messages.repository.js';
import { newId, nowIso } from '../../server/db/ids.js';
import { log } from '../../server/logger.js';
import type { Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, people, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Group commit (issue 15, server/chat/messages/commit-batch.ts): the sends handed over in one turn go
// in together, yet each keeps its gapless seq and its own (sender, clientId), and one bad message
// fails only itself.
describe.each(backendNames())('commit batch on %s', (backend) => {
	let t: TestParley;
	let batch: CommitBatch;
	let a: Person, b: Person, c: Person;
	let ab: Thread, ac: Thread;
	const row = (thread: Thread, sender: Person, text: string, id = clientId()): NewMessageRow => ({
		id: newId(),
		thread_id: thread.id,
		sender_id: sender.user.id,
		client_id: id,
		kind: 'text',
		text,
		file_id: null,
		created_at: nowIso()
	});
	const seqsOf = async (thread: Thread) =>
		(await t.parley.db.db.selectFrom('messages').select(['seq', 'text']).where('thread_id', '=', thread.id).orderBy('seq').execute()).map((r) => Number(r.seq));
	const receipts = async (thread: Thread, who: Person) =>
		t.parley.db.db.selectFrom('thread_members').select(['read_seq', 'delivered_seq']).where('thread_id', '=', thread.id).where('user_id', '=', who.user.id).executeTakeFirstOrThrow();
	const lastSeq = async (thread: Thread) => Number((await t.parley.db.db.selectFrom('threads').select('last_seq').where('id', '=', thread.id).executeTakeFirstOrThrow()).last_seq);

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
		batch = new CommitBatch({ db: t.parley.db.db, log, maxBatch: 16 });
		[a, b, c] = await people(t, 3);
		ab = await befriend(a, b);
		ac = await befriend(a, c);
	}, 60_000);
	afterAll(async () => t?.stop());

	it('stores sends of one turn, over several threads and more than one batch, with gapless seqs in the order handed over', async () => {
		const before = { ab: await lastSeq(ab), ac: await lastSeq(ac) };
		const rows = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? row(ac, i % 2 ? c : a, `ac ${i}`) : row(ab, i % 2 ? b : a, `ab ${i}`)));
		const stored = await Promise.all(rows.map((r) => batch.store(r)));
		for (const [thread, from] of [
			[ab, before.ab],
			[ac, before.ac]
		] as const) {
			const mine = stored.filter((m) => m.thread_id === thread.id);
			// The order handed over is the seq order, within and across batches (16 a batch here).
			expect(mine.map((m) => m.seq)).toEqual(mine.map((_, i) => from + i + 1));
			expect(await seqsOf(thread)).toEqual(Array.from({ length: from + mine.length }, (_, i) => i + 1));
			expect(await lastSeq(thread)).toBe(from + mine.length);
		}
		// Each sender's receipts moved to their own last message in each thread.
		const lastBy = (thread: Thread, who: Person) => Math.max(...stored.filter((m) => m.thread_id === thread.id && m.sender_id === who.user.id).map((m) => m.seq));
		for (const [thread, who] of [
			[ab, a],
			[ab, b],
			[ac, a],
			[ac, c]
		] as const) {
			const r = await receipts(thread, who);
			expect(Number(r.read_seq), `${who.user.username} in ${thread.id}`).toBe(lastBy(thread, who));
			expect(Number(r.delivered_seq)).toBe(lastBy(thread, who));
		}
	});

	it('a clientId twice in one batch, or already stored, fails only that send, with the first message; the others leave no gap', async () => {
		const earlier = await batch.store(row(ab, a, 'stored before'));
		const from = await lastSeq(ab);
		const twice = clientId();
		const outcomes = await Promise.allSettled([
			batch.store(row(ab, a, 'one')),
			batch.store(row(ab, a, 'first of two', twice)),
			batch.store(row(ab, b, 'two')),
			batch.store(row(ab, a, 'resent, same clientId', twice)),
			batch.store(row(ab, a, 'resent after a lost ack', earlier.client_id)),
			batch.store(row(ab, b, 'three'))
		]);
		const stored = outcomes.filter((o): o is PromiseFulfilledResult<MessageRow> => o.status === 'fulfilled').map((o) => o.value);
		expect(stored.map((m) => m.text)).toEqual(['one', 'first of two', 'two', 'three']);
		expect(stored.map((m) => m.seq)).toEqual([from + 1, from + 2, from + 3, from + 4]);
		const [dupInBatch, dupStored] = [outcomes[3], outcomes[4]].map((o) => (o as PromiseRejectedResult).reason);
		expect(dupInBatch).toBeInstanceOf(DuplicateClientId);
		expect((dupInBatch as DuplicateClientId).first?.id).toBe(stored[1].id);
		expect(dupStored).toBeInstanceOf(DuplicateClientId);
		expect((dupStored as DuplicateClientId).first?.id).toBe(earlier.id);
		expect(await seqsOf(ab)).toEqual(Array.from({ length: from + 4 }, (_, i) => i + 1));
	});

	it('a send that fails for its own reason (a thread gone, a sender who is not a user) fails alone', async () => {
		const from = await lastSeq(ac);
		const nobody = { ...c, user: { ...c.user, id: newId() } } as Person;
		const outcomes = await Promise.allSettled([
			batch.store(row(ac, a, 'before')),
			batch.store(row({ ...ac, id: newId() } as Thread, a, 'into no thread')),
			batch.store(row(ac, nobody, 'from nobody')),
			batch.store(row(ac, c, 'after'))
		]);
		expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
		expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/vanished/);
		expect((outcomes[2] as PromiseRejectedResult).reason).not.toBeInstanceOf(DuplicateClientId);
		expect(await seqsOf(ac)).toEqual(Array.from({ length: from + 2 }, (_, i) => i + 1));
	});
});
