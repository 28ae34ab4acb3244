import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, MessagesChangesResponse, MessagesListResponse, Thread } from '../../src/lib/protocol/index.js';
import { startCluster, until, type TestCluster } from '../helpers/cluster.js';
import { apart, Device } from '../helpers/cluster-device.js';

// docs/PROTOCOL.md, "Message actions", across chat nodes: an edit, a reaction, a reply and a delete
// made on one node reach the other member's device on another node live (message:changed through the
// Redis adapter), and a device that was offline catches up from the change feed on whichever node.

async function must<T extends object>(device: Device, event: string, payload: unknown): Promise<T> {
	const ack = await device.request<T>(event, payload);
	if (!ack.ok) throw new Error(`${event}: ${JSON.stringify(ack.error)}`);
	return ack;
}

const changed = (device: Device, id: string): Message[] =>
	device.events.filter((e) => e.event === 'message:changed' && e.payload.message.id === id).map((e) => e.payload.message as Message);

describe.each(['postgres', 'mysql'] as const)('message actions across two chat nodes on %s', (backend) => {
	let cluster: TestCluster;
	const devices: Device[] = [];

	beforeAll(async () => {
		cluster = await startCluster({ backend, nodes: 2 });
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	it('edit, react, reply and delete on one node are seen live on the other; an offline device catches up', async () => {
		const [a, b] = await apart(cluster);
		devices.push(a, b);
		expect(a.node).not.toBe(b.node);
		await must(a, 'friends:request', { userId: b.login.user.id });
		const { thread } = await must<{ thread: Thread }>(b, 'friends:request', { userId: a.login.user.id });
		const threadId = thread.id;
		const first = await a.send(threadId, 'frist');
		const second = await a.send(threadId, 'to be deleted');

		// Bob's second session holds the thread, then goes offline for everything below.
		const login = await cluster.gateway.request('POST', '/api/auth/login', { body: { login: (b.login as any).user.username, password: (b.login as any).password } });
		const b2 = new Device(cluster, login.body, 'b2');
		await b2.start();
		const held = await must<MessagesListResponse>(b2, 'messages:list', { threadId });
		b2.stop();

		const edited = (await must<{ message: Message }>(a, 'messages:edit', { threadId, seq: first.seq, text: 'first' })).message;
		await until(() => changed(b, first.id).some((m) => m.text === 'first'), 'the edit on the other node');
		expect(changed(b, first.id)[0]).toEqual(edited);

		const reacted = (await must<{ message: Message }>(b, 'messages:react', { threadId, seq: first.seq, emoji: '👀' })).message;
		await until(() => changed(a, first.id).some((m) => m.changeSeq === reacted.changeSeq), 'the reaction on the other node');
		expect(changed(a, first.id).at(-1)?.reactions).toEqual([{ emoji: '👀', count: 1, userIds: [b.login.user.id] }]);

		const reply = (await must<{ message: Message }>(b, 'messages:send', { threadId, clientId: crypto.randomUUID(), text: 'ok', replyToSeq: second.seq })).message;
		await until(() => a.thread(threadId).some((m) => m.id === reply.id), 'the reply on the other node');
		expect(a.thread(threadId).find((m) => m.id === reply.id)?.replyTo).toEqual({ seq: second.seq, senderId: a.login.user.id, snippet: 'to be deleted' });

		const tomb = (await must<{ message: Message }>(a, 'messages:delete', { threadId, seq: second.seq })).message;
		await until(() => changed(b, second.id).some((m) => m.deleted === true), 'the delete on the other node');
		expect(changed(b, second.id)).toEqual([tomb]);
		// Each change reached each device once, in change order.
		const seqs = b.events.filter((e) => e.event === 'message:changed').map((e) => e.payload.message.changeSeq);
		expect(seqs).toEqual([1, 2, 3]);

		// The offline session comes back (on whichever node) and asks for what changed since it held the thread.
		const login3 = await cluster.gateway.request('POST', '/api/auth/login', { body: { login: (b.login as any).user.username, password: (b.login as any).password } });
		const b3 = new Device(cluster, login3.body, 'b3');
		devices.push(b3);
		await b3.start();
		const feed = await must<MessagesChangesResponse>(b3, 'messages:changes', { threadId, afterChangeSeq: held.lastChangeSeq });
		expect(feed.messages.map((m) => [m.id, m.changeSeq])).toEqual([
			[first.id, 2],
			[second.id, 3]
		]);
		expect(feed.messages[0]).toMatchObject({ text: 'first', editedAt: expect.any(String), reactions: [{ emoji: '👀', count: 1 }] });
		expect(feed.messages[1]).toMatchObject({ deleted: true });
		expect(feed.messages[1].text).toBeUndefined();
	});
});
