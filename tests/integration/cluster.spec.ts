import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETED_USER_NAME, type Message, type Thread } from '../../src/lib/protocol/index.js';
import { startCluster, until, type TestCluster } from '../helpers/cluster.js';
import { apart, Device, otherDevice, user } from '../helpers/cluster-device.js';

// The cluster of the cluster issue, for real: a gateway (this process, ROLES=gateway, no sockets of its
// own) and three chat nodes as child processes, on Redis and PostgreSQL, and once on MariaDB. Users on
// different nodes see each other as if on one: every server-to-client event crosses nodes through the
// Redis adapter (or, from the gateway, the Redis emitter).

function eventsOf(device: Device, event: string, match: (p: any) => boolean = () => true) {
	return device.events.filter((e) => e.event === event && match(e.payload));
}

async function nextEvent(device: Device, event: string, match: (p: any) => boolean = () => true, timeoutMs = 5_000) {
	await until(() => eventsOf(device, event, match).length > 0, `"${event}" on ${device.name}`, timeoutMs, 10);
	return eventsOf(device, event, match)[0];
}

async function befriend(a: Device, b: Device): Promise<Thread> {
	const req = await a.request('friends:request', { userId: b.login.user.id });
	expect(req.ok).toBe(true);
	const seen = await nextEvent(b, 'friends:requested', (p) => p.request.from.id === a.login.user.id);
	const res = await b.request('friends:respond', { requestId: seen.payload.request.id, accept: true });
	expect(res.ok).toBe(true);
	await nextEvent(a, 'friends:added', (p) => p.friend.user.id === b.login.user.id);
	return (res as any).thread;
}

describe.each(['postgres', 'mysql'] as const)('a cluster of three chat nodes on %s', (backend) => {
	let cluster: TestCluster;
	const devices: Device[] = [];
	const track = <T extends Device | Device[]>(d: T): T => {
		devices.push(...(Array.isArray(d) ? d : [d]));
		return d;
	};

	beforeAll(async () => {
		cluster = await startCluster({ backend, nodes: 3 });
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	it('the gateway lists three live chat nodes with their loads; each node reports its own', async () => {
		const nodes = await cluster.liveNodes();
		expect(nodes.map((n) => n.id).sort()).toEqual(['chat-1', 'chat-2', 'chat-3']);
		for (const n of nodes) {
			expect(n).toMatchObject({ connections: 0, draining: false, url: cluster.nodes.get(n.id)!.url });
			const own = await (await fetch(`${n.url}/healthz`)).json();
			expect(own).toMatchObject({ status: 'ok', nodeId: n.id, roles: ['chat'], connections: 0 });
			expect(own.nodes).toBeUndefined();
		}
	});

	it('logins spread over the nodes by load: 6 users land 2 per node; a node that empties gets the next ones', async () => {
		const users: Device[] = [];
		for (let i = 0; i < 6; i++) users.push(track(await user(cluster)));
		const count = (node: string) => users.filter((u) => u.node === node).length;
		expect([count('chat-1'), count('chat-2'), count('chat-3')]).toEqual([2, 2, 2]);
		await until(async () => (await cluster.liveNodes()).every((n) => n.connections === 2), 'loads of 2, 2, 2');

		const emptied = users[0].node;
		for (const u of users.filter((u) => u.node === emptied)) u.stop();
		await until(async () => (await cluster.liveNodes()).find((n) => n.id === emptied)?.connections === 0, `${emptied} to report 0`);
		const next = [track(await user(cluster)), track(await user(cluster))];
		expect(next.map((u) => u.node)).toEqual([emptied, emptied]);
		for (const u of users) u.stop();
		for (const u of next) u.stop();
	});

	it('users on different nodes: friend request and answer, messages both ways, receipts, typing', async () => {
		const [a, b] = track(await apart(cluster));
		const thread = await befriend(a, b);

		const sent: Message[] = [];
		for (let i = 0; i < 5; i++) sent.push(await (i % 2 ? b : a).send(thread.id, `cross-node ${i}`));
		expect(sent.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
		await until(() => a.contiguous(thread.id) === 5 && b.contiguous(thread.id) === 5, 'both to hold 5 messages');
		expect(a.thread(thread.id).map((m) => m.id)).toEqual(sent.map((m) => m.id));
		expect(b.thread(thread.id).map((m) => m.id)).toEqual(sent.map((m) => m.id));
		// Pushed, not only filled in: the events crossed nodes.
		expect(eventsOf(b, 'message:new', (p) => p.message.senderId === a.login.user.id).length).toBe(3);

		expect((await b.request('messages:read', { threadId: thread.id, seq: 5 })).ok).toBe(true);
		const status = await nextEvent(a, 'message:status', (p) => p.userId === b.login.user.id && p.readSeq === 5);
		expect(status.payload).toEqual({ threadId: thread.id, userId: b.login.user.id, deliveredSeq: 5, readSeq: 5 });

		expect((await a.request('typing', { threadId: thread.id })).ok).toBe(true);
		expect((await nextEvent(b, 'typing')).payload).toEqual({ threadId: thread.id, userId: a.login.user.id });
	});

	it('the typing throttle and the send limit hold across nodes (kept in Redis)', async () => {
		const [a, b] = track(await apart(cluster));
		const thread = await befriend(a, b);
		// a's second device, on another node than a's first.
		let a2 = track(await otherDevice(cluster, a));
		for (let i = 0; i < 15 && a2.node === a.node; i++) a2 = track(await otherDevice(cluster, a));
		expect(a2.node).not.toBe(a.node);
		expect((await a.request('typing', { threadId: thread.id })).ok).toBe(true);
		expect((await a2.request('typing', { threadId: thread.id })).ok).toBe(true);
		await nextEvent(b, 'typing');
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(eventsOf(b, 'typing')).toHaveLength(1);

		// 30 new messages per 10 s per user, counted over both devices on their two nodes.
		const results = await Promise.all(
			Array.from({ length: 31 }, (_, i) => (i % 2 ? a2 : a).request('messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: `burst ${i}` }))
		);
		expect(results.filter((r) => r.ok)).toHaveLength(30);
		expect(results.filter((r) => !r.ok).map((r) => (r as any).error.code)).toEqual(['rate_limited']);
	});

	it('presence across nodes: online with the first device anywhere, offline exactly once with the last', async () => {
		const [a, b] = track(await apart(cluster));
		await befriend(a, b);
		let a2 = track(await otherDevice(cluster, a));
		// A device that lands on a's node is closed before the next try: left open, it would be a third
		// device keeping a online after both a and a2 are gone (the load-based placement decides when).
		// As in `apart`: the earlier tests' devices can keep a's node the least loaded for a while.
		for (let i = 0; i < 15 && a2.node === a.node; i++) {
			a2.stop();
			a2 = track(await otherDevice(cluster, a));
		}
		expect(a2.node).not.toBe(a.node);
		const fromA = (online: boolean) => (p: any) => p.userId === a.login.user.id && p.online === online;
		b.events.length = 0;
		a.stop();
		await new Promise((resolve) => setTimeout(resolve, 400));
		expect(eventsOf(b, 'presence', fromA(false))).toHaveLength(0);
		a2.stop();
		await nextEvent(b, 'presence', fromA(false));
		const again = track(await otherDevice(cluster, a));
		await nextEvent(b, 'presence', fromA(true));
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(eventsOf(b, 'presence', fromA(false))).toHaveLength(1);
		expect(eventsOf(b, 'presence', fromA(true))).toHaveLength(1);
		const list = await b.request('friends:list', {});
		expect((list as any).friends.find((f: any) => f.user.id === a.login.user.id).online).toBe(true);
		again.stop();
	});

	it('PATCH /api/me on the gateway reaches the user’s devices and friends on their nodes (user:updated)', async () => {
		const [a, b] = track(await apart(cluster));
		await befriend(a, b);
		const res = await cluster.gateway.request('PATCH', '/api/me', { token: a.login.token, body: { displayName: 'Across Nodes' } });
		expect(res.status).toBe(200);
		expect((await nextEvent(b, 'user:updated')).payload.user).toMatchObject({ id: a.login.user.id, displayName: 'Across Nodes', relationship: 'friend', online: true });
		expect((await nextEvent(a, 'user:updated')).payload.user).toMatchObject({ relationship: 'self' });
	});

	it('logout on the gateway ends that session’s socket on its node; the user’s other session on another node goes on', async () => {
		const a = track(await user(cluster));
		let a2 = track(await otherDevice(cluster, a));
		for (let i = 0; i < 15 && a2.node === a.node; i++) a2 = track(await otherDevice(cluster, a));
		expect(a2.node).not.toBe(a.node);
		const socket = a.socket!;
		const closed = new Promise((resolve) => socket.once('disconnect', resolve));
		expect((await cluster.gateway.request('POST', '/api/auth/logout', { token: a.login.token })).status).toBe(204);
		expect((await nextEvent(a, 'session:ended')).payload).toEqual({ reason: 'logout' });
		expect(await closed).toBe('io server disconnect');
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(a2.connected).toBe(true);
		expect(eventsOf(a2, 'session:ended')).toHaveLength(0);
		expect((await a2.request('session:whoami', {})).ok).toBe(true);
	});

	it('Devices on the gateway: signing out the other sessions ends their sockets on their nodes with "revoked"; the asking one goes on', async () => {
		const a = track(await user(cluster));
		let a2 = track(await otherDevice(cluster, a));
		for (let i = 0; i < 15 && a2.node === a.node; i++) a2 = track(await otherDevice(cluster, a));
		expect(a2.node).not.toBe(a.node);
		const socket = a.socket!;
		const closed = new Promise((resolve) => socket.once('disconnect', resolve));
		const res = await cluster.gateway.request('POST', '/api/sessions/end-others', { token: a2.login.token });
		expect(res.status).toBe(200);
		// The earlier tries at another node were sessions of this user too: all but a2's end.
		expect(res.body.ended).toBeGreaterThanOrEqual(1);
		expect((await nextEvent(a, 'session:ended')).payload).toEqual({ reason: 'revoked' });
		expect(await closed).toBe('io server disconnect');
		expect(eventsOf(a2, 'session:ended')).toHaveLength(0);
		expect((await a2.request('session:whoami', {})).ok).toBe(true);
	});

	it('DELETE /api/me on the gateway ends the account’s sessions on every node; the friend on another node sees "Deleted user" and the thread read-only', async () => {
		// a's two sessions on two nodes, so the friend is on another node than at least one of them.
		const a = track(await user(cluster));
		const b = track(await user(cluster));
		let a2 = track(await otherDevice(cluster, a));
		for (let i = 0; i < 15 && a2.node === a.node; i++) a2 = track(await otherDevice(cluster, a));
		expect(a2.node).not.toBe(a.node);
		const thread = await befriend(a, b);
		expect((await a.request('messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'before' })).ok).toBe(true);

		const res = await cluster.gateway.request('DELETE', '/api/me', { token: a.login.token, body: { password: (a.login as any).password } });
		expect(res.status).toBe(204);
		for (const d of [a, a2]) expect((await nextEvent(d, 'session:ended')).payload).toEqual({ reason: 'account_deleted' });
		expect((await nextEvent(b, 'friends:removed', (p) => p.userId === a.login.user.id)).payload).toEqual({ userId: a.login.user.id });
		const updated = await nextEvent(b, 'thread:updated', (p) => p.thread.id === thread.id && p.thread.peer?.deleted === true);
		expect(updated.payload.thread.peer).toMatchObject({ id: a.login.user.id, displayName: DELETED_USER_NAME });
		// Any node refuses a message to the deleted account, and the history stays.
		const refused = await b.request('messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'are you there?' });
		expect(refused.ok).toBe(false);
		const page = (await b.request('messages:list', { threadId: thread.id })) as any;
		expect(page.messages.map((m: Message) => m.text)).toEqual(['before']);
		expect((await cluster.gateway.request('GET', '/api/me', { token: a2.login.token })).status).toBe(401);
	});
});
