import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_REACHABLE, notReachableAmong, type Thread } from '../../src/lib/protocol/index.js';
import { signUp, startCluster, type TestCluster } from '../helpers/cluster.js';
import { Device } from '../helpers/cluster-device.js';

// docs/PROTOCOL.md "Unfriend and block": a block is in the database, so it holds on every chat node at once.
describe('blocks across two chat nodes on postgres', () => {
	let cluster: TestCluster;
	const devices: Device[] = [];

	beforeAll(async () => {
		cluster = await startCluster({ backend: 'postgres', nodes: 2 });
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	async function user(): Promise<Device> {
		const device = new Device(cluster, await signUp(cluster));
		await device.start();
		devices.push(device);
		return device;
	}

	it('a block made on one node refuses a send and a call from the other node, and an unfriend there ends writing here', async () => {
		const a = await user();
		let b = await user();
		// The balancer spreads sign-ins; take people until one is on the other node.
		for (let i = 0; i < 6 && b.node === a.node; i++) b = await user();
		expect(b.node).not.toBe(a.node);
		expect((await a.request('friends:request', { userId: b.login.user.id })).ok).toBe(true);
		const accepted = await b.request<{ thread: Thread }>('friends:request', { userId: a.login.user.id });
		if (!accepted.ok) throw new Error(JSON.stringify(accepted.error));
		const threadId = accepted.thread!.id;
		expect((await b.request('messages:send', { threadId, clientId: crypto.randomUUID(), text: 'before' })).ok).toBe(true);

		expect((await a.request('users:block', { userId: b.login.user.id })).ok).toBe(true);
		const send = await b.request('messages:send', { threadId, clientId: crypto.randomUUID(), text: 'after the block' });
		expect(send).toEqual({ ok: false, error: { code: 'forbidden', message: NOT_REACHABLE } });
		const call = await b.request('call:invite', { threadId, video: false });
		expect(call).toEqual({ ok: false, error: { code: 'forbidden', message: NOT_REACHABLE } });

		expect((await a.request('users:unblock', { userId: b.login.user.id })).ok).toBe(true);
		expect((await b.request('messages:send', { threadId, clientId: crypto.randomUUID(), text: 'unblocked' })).ok).toBe(true);
		expect((await a.request('friends:remove', { userId: b.login.user.id })).ok).toBe(true);
		const afterUnfriend = await b.request('messages:send', { threadId, clientId: crypto.randomUUID(), text: 'not friends' });
		expect(afterUnfriend.ok ? null : afterUnfriend.error.code).toBe('forbidden');
		const list = await b.request<{ friends: unknown[] }>('friends:list', {});
		expect(list.ok && list.friends).toEqual([]);
	});

	it('in a group over both nodes, a block made on one node holds there for unread, mentions and adding', async () => {
		const a = await user();
		let b = await user();
		for (let i = 0; i < 6 && b.node === a.node; i++) b = await user();
		expect(b.node).not.toBe(a.node);
		const c = await user();
		for (const [from, to] of [
			[c, a],
			[c, b],
			[b, a]
		]) {
			expect((await from.request('friends:request', { userId: to.login.user.id })).ok).toBe(true);
			expect((await to.request('friends:request', { userId: from.login.user.id })).ok).toBe(true);
		}
		const created = await c.request<{ thread: Thread }>('groups:create', { title: 'Across', memberIds: [a.login.user.id, b.login.user.id] });
		if (!created.ok) throw new Error(JSON.stringify(created.error));
		const threadId = created.thread!.id;
		expect((await a.request('users:block', { userId: b.login.user.id })).ok).toBe(true);
		const unread = async () => {
			const got = await a.request<{ thread: Thread }>('threads:get', { threadId });
			if (!got.ok) throw new Error(JSON.stringify(got.error));
			return got.thread!;
		};
		const before = (await unread()).unread;
		expect((await b.request('messages:send', { threadId, clientId: crypto.randomUUID(), text: `@${(a.login.user as { id: string; username: string }).username} from the other node` })).ok).toBe(true);
		expect((await c.request('messages:send', { threadId, clientId: crypto.randomUUID(), text: 'from c' })).ok).toBe(true);
		const after = await unread();
		expect(after.unread).toBe(before + 1);
		expect(after.mentions ?? 0).toBe(0);
		const refused = await b.request('groups:create', { title: 'Again', memberIds: [a.login.user.id] });
		expect(refused).toEqual({ ok: false, error: { code: 'forbidden', message: notReachableAmong([a.login.user.id]) } });
	});
});
