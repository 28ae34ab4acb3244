import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, MessagesListResponse, Thread } from '../../src/lib/protocol/index.js';
import { retryTransaction } from '../../server/db/transactions.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, device, ok, people, sleep } from '../helpers/chat.js';
import type { ClientSocket, TestParley } from '../helpers/parley.js';
import { startParley } from '../helpers/parley.js';

/** Every message of a thread, by paging forward with afterSeq. */
async function history(socket: ClientSocket, threadId: string): Promise<Message[]> {
	const out: Message[] = [];
	for (;;) {
		const page = await ok<MessagesListResponse>(socket, 'messages:list', { threadId, afterSeq: out.at(-1)?.seq ?? 0, limit: 100 });
		out.push(...page.messages);
		if (!page.hasMore) return out;
	}
}

/**
 * What a client keeps of one thread, as docs/PROTOCOL.md tells clients to: messages by seq, the
 * highest seq up to which it has everything, and a gap fill with `messages:list afterSeq` whenever a
 * `message:new` skips ahead and after every (re)connect.
 */
class ThreadView {
	readonly bySeq = new Map<number, Message>();
	/** How many times each message id arrived as `message:new`. */
	readonly arrivals = new Map<string, number>();
	contiguous = 0;
	#filling: Promise<void> = Promise.resolve();

	constructor(readonly threadId: string) {}

	attach(socket: ClientSocket): void {
		socket.on('message:new', ({ message }) => {
			if (message.threadId !== this.threadId) return;
			this.arrivals.set(message.id, (this.arrivals.get(message.id) ?? 0) + 1);
			this.store(message);
			if (message.seq > this.contiguous + 1) void this.fill(socket).catch(() => {});
		});
	}

	store(message: Message): void {
		const held = this.bySeq.get(message.seq);
		// Two different messages under one seq would be a broken promise; fail loudly.
		if (held && held.id !== message.id) throw new Error(`seq ${message.seq} is ${held.id} and ${message.id}`);
		this.bySeq.set(message.seq, message);
		while (this.bySeq.has(this.contiguous + 1)) this.contiguous++;
	}

	/**
	 * Fetches everything after the contiguous prefix (one fill at a time). A fill cut short by a
	 * disconnect just stops: the next connection fills again.
	 */
	fill(socket: ClientSocket): Promise<void> {
		const run = this.#filling.then(async () => {
			for (;;) {
				if (!socket.connected) return;
				let page: MessagesListResponse;
				try {
					page = await ok<MessagesListResponse>(socket, 'messages:list', { threadId: this.threadId, afterSeq: this.contiguous, limit: 100 });
				} catch (error) {
					if (!socket.connected) return;
					throw error;
				}
				for (const m of page.messages) this.store(m);
				if (!page.hasMore) return;
			}
		});
		this.#filling = run.catch(() => {});
		return run;
	}

	ordered(): Message[] {
		return [...this.bySeq.keys()].sort((x, y) => x - y).map((seq) => this.bySeq.get(seq)!);
	}
}

/** Cuts a client's connection the hard way: the TCP socket goes, whatever was in flight. */
function cut(socket: ClientSocket): void {
	const transport = (socket.io.engine as unknown as { transport?: { ws?: { terminate?: () => void; close: () => void } } }).transport;
	if (transport?.ws?.terminate) transport.ws.terminate();
	else socket.io.engine.close();
}

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

// DESIGN.md, Messages; PROTOCOL.md 2's delivery promise: gapless seqs under concurrency on every
// dialect, and exactly-once, in-order delivery to every device across cut connections.
describe.each(backendNames())('delivery on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 }, chatLimits: { sendsPerWindow: 100_000 } } });
	});
	afterAll(async () => t?.stop());

	it('50 concurrent senders into one thread get gapless, unique seqs in each sender\'s order', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const sockets = await Promise.all(Array.from({ length: 50 }, (_, i) => device(t, i % 2 ? b : a)));
		const perSocket = 4;
		const acks = await Promise.all(
			sockets.map((socket, s) =>
				Promise.all(
					Array.from({ length: perSocket }, (_, k) => ok<{ message: Message }>(socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: `socket ${s} message ${k}` }))
				)
			)
		);
		const total = sockets.length * perSocket;
		const all = acks.flat().map((x) => x.message);
		expect(all.map((m) => m.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
		// Each socket's pipelined sends keep their order.
		for (const [s, list] of acks.entries()) {
			const seqs = list.map((x) => x.message.seq);
			expect(seqs, `socket ${s}`).toEqual([...seqs].sort((x, y) => x - y));
		}
		const stored = await history(a.socket, thread.id);
		expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
		expect(new Set(stored.map((m) => m.id)).size).toBe(total);
		expect(new Map(stored.map((m) => [m.id, m]))).toEqual(new Map(all.map((m) => [m.id, m])));
		const view = (await ok<{ thread: Thread }>(b.socket, 'threads:get', { threadId: thread.id })).thread;
		expect(view.lastSeq).toBe(total);
		expect(view.lastMessage?.seq).toBe(total);
		for (const s of sockets) s.disconnect();
	}, 120_000);

	// The send path takes its locks in one order, so it does not deadlock in practice (the test above
	// saw none); this proves that when a database does pick a victim, the retry recovers.
	it.skipIf(backend === 'sqlite')('a transaction chosen as a deadlock victim is retried and succeeds', async () => {
		const db = t.parley.db.db;
		const [a, b, c] = await people(t, 3);
		const x = await befriend(a, b);
		const y = await befriend(a, c);
		let arrived = 0;
		let release!: () => void;
		const bothLocked = new Promise<void>((resolve) => (release = resolve));
		let victims = 0;
		const transfer = (first: string, second: string) =>
			retryTransaction(
				() =>
					db.transaction().execute(async (trx) => {
						await trx.updateTable('threads').set({ updated_at: new Date().toISOString() }).where('id', '=', first).execute();
						if (++arrived === 2) release();
						await bothLocked;
						await trx.updateTable('threads').set({ updated_at: new Date().toISOString() }).where('id', '=', second).execute();
					}),
				{ log: { debug: () => victims++ } as never }
			);
		await Promise.all([transfer(x.id, y.id), transfer(y.id, x.id)]);
		expect(victims).toBeGreaterThanOrEqual(1);
	}, 30_000);

	it('a sender cut at random who resends by clientId: stored once, delivered once and in order to every device', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const N = 40;
		const outbox = Array.from({ length: N }, (_, i) => ({ clientId: clientId(), text: `a${i} <b>${i}</b>` }));
		const acked = new Map<string, Message>();

		// Receivers: bob's steady device, bob's flaky second device, alice's other device.
		const a2 = await device(t, a);
		const steady = new ThreadView(thread.id);
		steady.attach(b.socket);
		const other = new ThreadView(thread.id);
		other.attach(a2);
		const flaky = new ThreadView(thread.id);
		let flakySocket = await device(t, b);
		flaky.attach(flakySocket);

		let sending = true;
		const flakyLoop = (async () => {
			while (sending) {
				await sleep(rand(10, 60));
				cut(flakySocket);
				await sleep(rand(0, 40));
				flakySocket = await device(t, b);
				flaky.attach(flakySocket);
				// After every reconnect: ask for what came after the last seq held.
				await flaky.fill(flakySocket);
			}
		})();

		// Bob talks too, steadily, so seqs interleave.
		const bobLoop = (async () => {
			for (let i = 0; i < 10; i++) {
				await ok(b.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: `b${i}` });
				await sleep(rand(0, 10));
			}
		})();

		let socket: ClientSocket = a.socket;
		for (let round = 0; acked.size < N; round++) {
			expect(round, 'rounds').toBeLessThan(50);
			const unacked = outbox.filter((m) => !acked.has(m.clientId));
			// Late rounds run without a cut so the test always ends.
			const cutAfter = round < 15 ? rand(1, Math.min(unacked.length, 8)) : Infinity;
			const gone = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
			const inFlight: Promise<void>[] = [];
			for (const [i, m] of unacked.entries()) {
				const sent = (socket as unknown as { emitWithAck(e: string, p: unknown): Promise<{ ok: boolean; message?: Message }> }).emitWithAck('messages:send', {
					threadId: thread.id,
					...m
				});
				inFlight.push(
					Promise.race([
						sent.then(
							(ack) => {
								if (!ack.ok) throw new Error(`send failed: ${JSON.stringify(ack)}`);
								acked.set(m.clientId, ack.message!);
							},
							// Cut before the ack came: unacked, so it goes out again next round.
							() => undefined
						),
						gone
					])
				);
				if (i + 1 >= cutAfter) {
					// Sometimes before the server has it, sometimes after it stored it but before the ack.
					await sleep(rand(0, 20));
					cut(socket);
					break;
				}
			}
			await Promise.all(inFlight);
			if (!socket.connected) socket = await device(t, a);
		}
		sending = false;
		await Promise.all([flakyLoop, bobLoop]);

		// The database: each of alice's messages exactly once, in the order she wrote them.
		const stored = await history(socket, thread.id);
		const total = N + 10;
		expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
		const mine = stored.filter((m) => m.senderId === a.user.id);
		expect(mine.map((m) => m.clientId)).toEqual(outbox.map((m) => m.clientId));
		expect(mine.map((m) => m.text)).toEqual(outbox.map((m) => m.text));
		for (const m of mine) expect(acked.get(m.clientId)).toEqual(m);

		// Every device ends with exactly the stored list, once each, in seq order.
		await flaky.fill(flakySocket);
		for (const view of [steady, other, flaky]) {
			await view.fill(view === flaky ? flakySocket : view === steady ? b.socket : a2);
			expect(view.ordered()).toEqual(stored);
			expect(view.contiguous).toBe(total);
		}
		// A device that stayed connected got each message pushed exactly once.
		for (const m of stored) expect(steady.arrivals.get(m.id), `arrivals of seq ${m.seq}`).toBe(1);
		for (const [, count] of flaky.arrivals) expect(count).toBe(1);
		flakySocket.disconnect();
		a2.disconnect();
	}, 60_000);
});
