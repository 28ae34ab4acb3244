import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { clientId, device, ok, people, request, sleep, type Person } from '../helpers/chat.js';
import { befriendAll, createGroup, history } from '../helpers/groups.js';
import type { ClientSocket } from '../helpers/parley.js';
import { startParley, type TestParley } from '../helpers/parley.js';

/**
 * Every `message:new` a socket receives, in arrival order (the created line arrives before the
 * creator's ack names the thread; each test's people are in that one thread only).
 */
function received(socket: ClientSocket): Message[] {
	const got: Message[] = [];
	socket.on('message:new', ({ message }) => got.push(message));
	return got;
}

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

// docs/PROTOCOL.md, "Groups": the delivery promise of pairs holds for groups, and membership and
// delivery agree under races, decided by seq.
describe.each(backendNames())('group delivery on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 }, chatLimits: { sendsPerWindow: 100_000, readsPerWindow: 100_000 } } });
	});
	afterAll(async () => t?.stop());

	it('20 members sending at once: gapless seqs, each sender\'s order kept, every member gets every message once', async () => {
		const all = await people(t, 20);
		const [owner, ...rest] = all;
		await befriendAll(owner, rest);
		const inboxes = all.map((p) => received(p.socket));
		const thread = await createGroup(owner, rest, 'Twenty');
		const perSender = 5;
		const acks = await Promise.all(
			all.map((p, s) =>
				Promise.all(Array.from({ length: perSender }, (_, k) => ok<{ message: Message }>(p.socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: `${s}:${k}` })))
			)
		);
		const total = 1 + all.length * perSender;
		const sent = acks.flat().map((a) => a.message);
		expect(sent.map((m) => m.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: total - 1 }, (_, i) => i + 2));
		for (const [s, list] of acks.entries()) {
			const seqs = list.map((a) => a.message.seq);
			expect(seqs, `sender ${s}`).toEqual([...seqs].sort((x, y) => x - y));
			expect(list.map((a) => a.message.text)).toEqual(Array.from({ length: perSender }, (_, k) => `${s}:${k}`));
		}
		const stored = await history(owner.socket, thread.id);
		expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
		// Every member's socket: each message exactly once (the created line included).
		const deadline = Date.now() + 20_000;
		while (inboxes.some((box) => box.length < total) && Date.now() < deadline) await sleep(50);
		for (const [i, box] of inboxes.entries()) {
			expect(box.length, `member ${i}`).toBe(total);
			expect(new Set(box.map((m) => m.id)).size, `member ${i}`).toBe(total);
			expect(new Map(box.map((m) => [m.seq, m]))).toEqual(new Map(stored.map((m) => [m.seq, m])));
		}
	}, 120_000);

	it('sends racing removals: a removed member gets every message below their removal\'s seq and none above', async () => {
		const all = await people(t, 10);
		const [owner, ...rest] = all;
		const senders = rest.slice(0, 3);
		const victims = rest.slice(3);
		await befriendAll(owner, rest);
		const inboxes = new Map<string, Message[]>(victims.map((v) => [v.user.id, received(v.socket)]));
		// Each victim has a second device: both must agree.
		const seconds = new Map<string, Message[]>();
		for (const v of victims) seconds.set(v.user.id, received(await device(t, v)));
		const thread: Thread = await createGroup(owner, rest, 'Race');

		// Each sender sends from two sockets at once, so sends queue on the thread row from 6 sockets.
		const sockets: Array<{ who: Person; socket: ClientSocket }> = [];
		for (const s of senders) sockets.push({ who: s, socket: s.socket }, { who: s, socket: await device(t, s) });
		let sending = true;
		const loops = sockets.map(async ({ socket }, i) => {
			let n = 0;
			while (sending) {
				// Two in flight per socket keeps the queue on the row full.
				await Promise.all([0, 1].map(() => ok(socket, 'messages:send', { threadId: thread.id, clientId: clientId(), text: `s${i}-${n++}` })));
			}
		});
		for (const v of victims) {
			await sleep(rand(20, 80));
			await ok(owner.socket, 'groups:remove', { threadId: thread.id, userId: v.user.id });
		}
		await sleep(100);
		sending = false;
		await Promise.all(loops);

		const stored = await history(owner.socket, thread.id);
		expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
		// Wait until the events of everything stored have had time to arrive (absence is checked below).
		await sleep(1_000);
		let raced = 0;
		for (const v of victims) {
			const removal = stored.find((m) => m.system?.type === 'removed' && m.system.users.some((u) => u.id === v.user.id));
			expect(removal, `removal of ${v.user.id}`).toBeDefined();
			const before = stored.filter((m) => m.seq < removal!.seq).map((m) => m.seq);
			raced += stored.filter((m) => m.seq > removal!.seq && m.kind === 'text').length > 0 ? 1 : 0;
			for (const box of [inboxes.get(v.user.id)!, seconds.get(v.user.id)!]) {
				const seqs = box.map((m) => m.seq).sort((x, y) => x - y);
				// Nothing at or after the removal's seq; everything before it, once.
				expect(seqs.filter((s) => s >= removal!.seq), `${v.user.id} after removal at ${removal!.seq}`).toEqual([]);
				expect(seqs, `${v.user.id} before removal at ${removal!.seq}`).toEqual(before);
			}
			expect((await request(v.socket, 'messages:list', { threadId: thread.id })).ok).toBe(false);
		}
		// The race was real: messages kept coming after removals.
		expect(raced).toBeGreaterThan(0);
		expect(stored.filter((m) => m.kind === 'text').length).toBeGreaterThan(victims.length * 2);
	}, 120_000);
});
