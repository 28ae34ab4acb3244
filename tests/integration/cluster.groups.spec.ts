import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, MessagesListResponse, Thread } from '../../src/lib/protocol/index.js';
import { startCluster, until, type TestCluster } from '../helpers/cluster.js';
import { Device, user } from '../helpers/cluster-device.js';

// docs/PROTOCOL.md, "Groups": membership and delivery agree under races on every node. A group whose
// members are spread over three chat nodes (Redis adapter between them); senders on several nodes
// keep sending while the owner removes people one after another. A removed person's device, on
// whatever node, gets exactly the messages below their removal's seq.

/** Friends without waiting for events: each asks the other, and the second ask accepts the first. */
async function befriend(a: Device, b: Device): Promise<void> {
	expect((await a.request('friends:request', { userId: b.login.user.id })).ok).toBe(true);
	expect((await b.request('friends:request', { userId: a.login.user.id })).ok).toBe(true);
}

async function history(device: Device, threadId: string): Promise<Message[]> {
	const out: Message[] = [];
	for (;;) {
		const page = await device.request<MessagesListResponse>('messages:list', { threadId, afterSeq: out.at(-1)?.seq ?? 0, limit: 100 });
		if (!page.ok) throw new Error(JSON.stringify(page.error));
		out.push(...page.messages);
		if (!page.hasMore) return out;
	}
}

const arrivalsOf = (device: Device, threadId: string): Message[] =>
	device.events.filter((e) => e.event === 'message:new' && e.payload.message.threadId === threadId).map((e) => e.payload.message as Message);

describe.each(['postgres', 'mysql'] as const)('groups across three chat nodes on %s', (backend) => {
	let cluster: TestCluster;
	const devices: Device[] = [];

	beforeAll(async () => {
		cluster = await startCluster({ backend, nodes: 3 });
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	it('sends from three nodes racing removals: below the removal\'s seq reaches the removed, above never, on every node', async () => {
		for (let i = 0; i < 12; i++) devices.push(await user(cluster));
		const [owner, ...rest] = devices;
		const senders = rest.slice(0, 5);
		const victims = rest.slice(5);
		// The balancer spreads them: every node holds members, victims included.
		expect(new Set(devices.map((d) => d.node)).size).toBe(3);
		expect(new Set(victims.map((d) => d.node)).size).toBeGreaterThan(1);
		await Promise.all(rest.map((d) => befriend(owner, d)));
		const created = await owner.request<{ thread: Thread }>('groups:create', { title: 'Across', memberIds: rest.map((d) => d.login.user.id) });
		if (!created.ok) throw new Error(JSON.stringify(created.error));
		const threadId = created.thread.id;

		// 25 each (the send limit is 30 per 10 s per user), two in flight per sender.
		const perSender = 25;
		const total = senders.length * perSender;
		let acked = 0;
		const loops = senders.map(async (s, i) => {
			for (let k = 0; k < perSender; k += 2) {
				await Promise.all(
					[k, k + 1]
						.filter((n) => n < perSender)
						.map(async (n) => {
							const ack = await s.request('messages:send', { threadId, clientId: crypto.randomUUID(), text: `${i}:${n}` });
							if (!ack.ok) throw new Error(JSON.stringify(ack.error));
							acked++;
						})
				);
			}
		});
		// Removals spread over the sending: the k-th once k/(n+1) of the messages are in.
		const removals = (async () => {
			for (const [k, v] of victims.entries()) {
				await until(() => acked >= ((k + 1) * total) / (victims.length + 1), `${k + 1} of ${victims.length + 1} of the sends`, 60_000, 5);
				const ack = await owner.request('groups:remove', { threadId, userId: v.login.user.id });
				if (!ack.ok) throw new Error(JSON.stringify(ack.error));
			}
		})();
		await Promise.all([...loops, removals]);

		const stored = await history(owner, threadId);
		expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: total + 1 + victims.length }, (_, i) => i + 1));
		const all = stored.map((m) => m.seq);
		// Everyone still in: every message exactly once, pushed (no fill needed).
		for (const d of [owner, ...senders]) {
			await until(() => new Set(arrivalsOf(d, threadId).map((m) => m.seq)).size === all.length, `${d.name} on ${d.node} to get all ${all.length}`, 30_000);
			const seqs = arrivalsOf(d, threadId).map((m) => m.seq);
			expect(seqs.length, `${d.name}: each once`).toBe(all.length);
		}
		// Give the removed devices the same chance to receive anything wrongly sent to them.
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		let afterwards = 0;
		for (const v of victims) {
			const removal = stored.find((m) => m.system?.type === 'removed' && m.system.users.some((u) => u.id === v.login.user.id))!;
			expect(removal).toBeDefined();
			const seqs = arrivalsOf(v, threadId)
				.map((m) => m.seq)
				.sort((x, y) => x - y);
			expect(seqs.filter((s) => s >= removal.seq), `${v.name} on ${v.node}, removed at ${removal.seq}`).toEqual([]);
			expect(seqs, `${v.name} on ${v.node}, removed at ${removal.seq}`).toEqual(all.filter((s) => s < removal.seq));
			expect(v.events.filter((e) => e.event === 'thread:removed').map((e) => e.payload)).toEqual([{ threadId, reason: 'removed' }]);
			afterwards += stored.filter((m) => m.seq > removal.seq && m.kind === 'text').length;
			const get = await v.request('threads:get', { threadId });
			expect(get.ok ? 'ok' : get.error.code).toBe('not_found');
		}
		expect(afterwards).toBeGreaterThan(0);
	}, 180_000);

	// Last in the file: it kills a node.
	it('kill -9 of a node during group sends: every acked message once, in each sender\'s order, on every member\'s device', async () => {
		const people: Device[] = [];
		for (let i = 0; i < 6; i++) people.push(await user(cluster));
		devices.push(...people);
		const [owner, ...rest] = people;
		await Promise.all(rest.map((d) => befriend(owner, d)));
		const created = await owner.request<{ thread: Thread }>('groups:create', { title: 'Crash', memberIds: rest.map((d) => d.login.user.id) });
		if (!created.ok) throw new Error(JSON.stringify(created.error));
		const threadId = created.thread.id;
		const senders = [owner, rest[0], rest[1]];
		const victim = senders[0].node;
		expect(new Set(people.map((d) => d.node)).size).toBe(3);

		const PER_SENDER = 20;
		const order = new Map<Device, string[]>(senders.map((d) => [d, []]));
		let acked = 0;
		const streams = senders.map(async (d) => {
			for (let i = 0; i < PER_SENDER; i++) {
				const id = crypto.randomUUID();
				order.get(d)!.push(id);
				await d.send(threadId, `${d.name} #${i}`, id);
				acked++;
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		});
		await until(() => acked >= 12, '12 acked sends');
		cluster.nodes.get(victim)!.process.kill('SIGKILL');
		await cluster.nodes.get(victim)!.exited;
		await Promise.all(streams);

		const stored = await history(rest[3], threadId);
		const total = 1 + senders.length * PER_SENDER;
		expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
		for (const d of senders) {
			expect(stored.filter((m) => m.senderId === d.login.user.id && m.kind === 'text').map((m) => m.clientId)).toEqual(order.get(d));
		}
		// Every member's device, moved or not, ends with exactly the stored list; none got a message twice on one connection.
		for (const d of people) {
			await until(() => d.contiguous(threadId) === total, `${d.name} (now on ${d.node}) to hold all ${total}`, 30_000);
			expect(d.thread(threadId)).toEqual(stored);
			for (const arrivals of d.arrivals) for (const [, n] of arrivals) expect(n).toBe(1);
		}
		expect(people.filter((d) => d.nodes.includes(victim)).every((d) => d.node !== victim)).toBe(true);
	}, 180_000);
});
