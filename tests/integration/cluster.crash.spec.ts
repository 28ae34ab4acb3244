import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Thread } from '../../src/lib/protocol/index.js';
import type { ClientSocket } from '../helpers/parley.js';
import { signUp, startCluster, until, type TestCluster } from '../helpers/cluster.js';
import { Device } from '../helpers/cluster-device.js';

// kill -9 of a chat node in the middle of a stream of sends. The devices behave as the web client
// does: a fresh ticket from the gateway on every reconnect (it names a live node), a resend of the
// unacked message with the same clientId, a gap fill by seq. Every acked message must then be held by
// every device exactly once and in order; the dead node must never be handed out once its heartbeat
// has expired; its users go offline once, announced by a surviving node.

const PER_SENDER = 20;

async function deviceOf(cluster: TestCluster, login: any, name: string): Promise<Device> {
	const d = new Device(cluster, login, name);
	await d.start();
	return d;
}

async function relogin(cluster: TestCluster, login: any, name: string): Promise<Device> {
	const res = await cluster.gateway.request('POST', '/api/auth/login', { body: { login: login.user.username, password: login.password } });
	expect(res.status).toBe(200);
	return deviceOf(cluster, res.body, name);
}

/** A device of `login` whose node is not one of `avoid` (new logins until the balancer gives one). */
async function deviceAvoiding(cluster: TestCluster, login: any, name: string, avoid: string[]): Promise<Device> {
	for (let i = 0; i < 8; i++) {
		const d = i === 0 && login.chat ? await deviceOf(cluster, login, name) : await relogin(cluster, login, name);
		if (!avoid.includes(d.node)) return d;
		d.stop();
	}
	throw new Error(`no device off ${avoid.join(', ')}`);
}

/** A bare socket (no reconnection) of `login` on exactly `node`. */
async function socketOn(cluster: TestCluster, login: any, node: string): Promise<ClientSocket> {
	for (let i = 0; i < 12; i++) {
		const res = await cluster.gateway.request('POST', '/api/auth/chat-ticket', { token: login.token });
		if (cluster.nodeOf(res.body.chat.url) === node) return cluster.gateway.connectSocket(res.body.chat.ticket, res.body.chat.url);
	}
	throw new Error(`the balancer never chose ${node}`);
}

describe('kill -9 of a chat node (on postgres)', () => {
	let cluster: TestCluster;
	const devices: Device[] = [];

	beforeAll(async () => {
		cluster = await startCluster({ backend: 'postgres', nodes: 3 });
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	it('during a stream of sends: every acked message reaches every device exactly once and in order; the node’s users go offline once', async () => {
		const aLogin = await signUp(cluster);
		const bLogin = await signUp(cluster);
		const cLogin = await signUp(cluster);
		const a1 = await deviceOf(cluster, aLogin, 'a1');
		const victim = a1.node;
		const b = await deviceAvoiding(cluster, bLogin, 'b', [victim]);
		const a2 = await deviceAvoiding(cluster, aLogin, 'a2', [victim]);
		devices.push(a1, b, a2);

		const friend = async (x: Device, y: Device): Promise<Thread> => {
			const req: any = await x.request('friends:request', { userId: y.login.user.id });
			const res: any = await y.request('friends:respond', { requestId: req.request.id, accept: true });
			expect(res.ok).toBe(true);
			return res.thread;
		};
		const thread = await friend(a1, b);
		// c lives only on the victim, with a bare socket that will not come back: b must see c go offline.
		const cDevice = await deviceOf(cluster, cLogin, 'c');
		await friend(cDevice, b);
		cDevice.stop();
		const cSocket = await socketOn(cluster, cLogin, victim);
		await until(() => b.events.some((e) => e.event === 'presence' && e.payload.userId === cLogin.user.id && e.payload.online), 'c online');
		const cOffline = () => b.events.filter((e) => e.event === 'presence' && e.payload.userId === cLogin.user.id && !e.payload.online);
		const offlineBefore = cOffline().length;

		// Two senders on different nodes, one of them on the victim, each sending in order.
		const order = new Map<string, string[]>([
			['a1', []],
			['b', []]
		]);
		const acked: Message[] = [];
		const stream = (d: Device) =>
			(async () => {
				for (let i = 0; i < PER_SENDER; i++) {
					const clientId = crypto.randomUUID();
					order.get(d.name)!.push(clientId);
					acked.push(await d.send(thread.id, `${d.name} #${i}`, clientId));
					await new Promise((resolve) => setTimeout(resolve, 25));
				}
			})();
		const streams = [stream(a1), stream(b)];
		await until(() => acked.filter((m) => m.senderId === aLogin.user.id).length >= 6, 'a1 to have 6 acked');

		const killedAt = Date.now();
		cluster.nodes.get(victim)!.process.kill('SIGKILL');
		await cluster.nodes.get(victim)!.exited;
		await Promise.all(streams);
		const allAckedAt = Date.now();
		await until(async () => !(await cluster.liveNodes()).some((n) => n.id === victim), `${victim} to leave the live list`, 10_000, 25);
		const expiredAt = Date.now();

		// The database: every acked message once, gapless, each sender's in the order sent.
		const rows = await cluster.gateway.parley.db.db
			.selectFrom('messages')
			.select(['id', 'seq', 'sender_id', 'client_id'])
			.where('thread_id', '=', thread.id)
			.orderBy('seq')
			.execute();
		expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 2 * PER_SENDER }, (_, i) => i + 1));
		expect(new Set(rows.map((r) => r.client_id)).size).toBe(2 * PER_SENDER);
		expect(acked).toHaveLength(2 * PER_SENDER);
		expect(new Set(acked.map((m) => m.id)).size).toBe(2 * PER_SENDER);
		expect(rows.filter((r) => r.sender_id === aLogin.user.id).map((r) => r.client_id)).toEqual(order.get('a1'));
		expect(rows.filter((r) => r.sender_id === bLogin.user.id).map((r) => r.client_id)).toEqual(order.get('b'));

		// Every device, the moved one included, holds exactly that list (events plus gap fills).
		for (const d of [a1, a2, b]) {
			await until(() => d.contiguous(thread.id) === rows.length, `${d.name} to hold all ${rows.length}`, 10_000);
			expect(d.thread(thread.id).map((m) => m.id), d.name).toEqual(rows.map((r) => r.id));
			for (const arrivals of d.arrivals) for (const [id, n] of arrivals) expect(n, `${d.name} got ${id} ${n} times on one connection`).toBe(1);
		}
		expect(a1.nodes[0]).toBe(victim);
		expect(a1.node).not.toBe(victim);
		// Only the victim's clients moved.
		expect(a2.nodes).toHaveLength(1);
		expect(b.nodes).toHaveLength(1);
		// No request was refused: what failed was the transport, and it was retried.
		expect([...a1.errors, ...a2.errors, ...b.errors]).toEqual([]);

		// c went offline exactly once, announced by whichever survivor claimed the dead node.
		await until(() => cOffline().length > offlineBefore, 'c offline', 10_000);
		await new Promise((resolve) => setTimeout(resolve, 3 * cluster.heartbeatMs));
		expect(cOffline().length - offlineBefore).toBe(1);
		expect(cSocket.connected).toBe(false);

		const delivered = [a1, a2, b].reduce((n, d) => n + d.thread(thread.id).length, 0);
		console.log(
			`[cluster figures] kill -9 of ${victim} (heartbeat ${cluster.heartbeatMs} ms): its device reconnected to ${a1.node} in ${a1.reconnectedAt[0] - killedAt} ms; ` +
				`all ${acked.length} sends acked ${allAckedAt - killedAt} ms after the kill; dead node out of the live list after ${expiredAt - killedAt} ms; ` +
				`${rows.length} stored, ${delivered} held over 3 devices (${rows.length} each), 0 duplicates`
		);
	});

	it('a dead node is never handed out once its heartbeat expired; restarted with the same NODE_ID it rejoins', async () => {
		const dead = [...cluster.nodes.values()].find((n) => !n.alive())!;
		expect(dead).toBeDefined();
		const live = await cluster.liveNodes();
		expect(live.map((n) => n.id)).not.toContain(dead.name);
		expect(live).toHaveLength(2);
		const { token } = await signUp(cluster);
		const urls = new Set<string>();
		for (let i = 0; i < 30; i++) urls.add((await cluster.gateway.request('POST', '/api/auth/chat-ticket', { token })).body.chat.url);
		expect([...urls].sort()).toEqual(live.map((n) => n.url).sort());

		const again = await cluster.spawnNode(dead.name);
		expect((await cluster.liveNodes()).map((n) => n.id).sort()).toEqual(['chat-1', 'chat-2', 'chat-3']);
		const seen = new Set<string>();
		for (let i = 0; i < 30 && !seen.has(again.url); i++) seen.add((await cluster.gateway.request('POST', '/api/auth/chat-ticket', { token })).body.chat.url);
		expect(seen.has(again.url)).toBe(true);
	});
});
