import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Thread } from '../../src/lib/protocol/index.js';
import { signUp, startCluster, until, type TestCluster } from '../helpers/cluster.js';
import { Device } from '../helpers/cluster-device.js';

// SIGTERM of a chat node under traffic: it marks itself draining (never handed out again), refuses new
// sockets, tells its clients `server:draining`, answers what they have in flight, waits for them to
// move, leaves the registry and exits 0. The clients see no error at all and lose nothing.

async function deviceOf(cluster: TestCluster, login: any, name: string): Promise<Device> {
	const d = new Device(cluster, login, name);
	await d.start();
	return d;
}

/**
 * A device of `login` (a new session) on a node that is (`want` true) or is not `node`: tickets until
 * the balancer names a fitting node (each unused one holds a reservation, so it moves on).
 */
async function deviceWhere(cluster: TestCluster, login: any, name: string, node: string, want: boolean): Promise<Device> {
	const session = await cluster.gateway.request('POST', '/api/auth/login', { body: { login: login.user.username, password: login.password } });
	let chat = session.body.chat;
	for (let i = 0; i < 12 && (cluster.nodeOf(chat.url) === node) !== want; i++) {
		chat = (await cluster.gateway.request('POST', '/api/auth/chat-ticket', { token: session.body.token })).body.chat;
	}
	if ((cluster.nodeOf(chat.url) === node) !== want) throw new Error(`no ticket for ${name} ${want ? 'on' : 'off'} ${node}`);
	return deviceOf(cluster, { ...session.body, chat }, name);
}

describe('SIGTERM drain of a chat node (on postgres)', () => {
	let cluster: TestCluster;
	const devices: Device[] = [];

	beforeAll(async () => {
		cluster = await startCluster({ backend: 'postgres', nodes: 3, drainTimeoutMs: 8_000 });
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
	});

	it('under traffic: no client error, every send acked, nothing lost or doubled, the draining node is never handed out, exit 0', async () => {
		const aLogin = await signUp(cluster);
		const bLogin = await signUp(cluster);
		const a1 = await deviceOf(cluster, aLogin, 'a1');
		const node = a1.node;
		const b = await deviceWhere(cluster, bLogin, 'b', node, false);
		const b2 = await deviceWhere(cluster, bLogin, 'b2', node, true);
		const a2 = await deviceWhere(cluster, aLogin, 'a2', node, false);
		devices.push(a1, a2, b, b2);
		const req: any = await a1.request('friends:request', { userId: bLogin.user.id });
		const res: any = await b.request('friends:respond', { requestId: req.request.id, accept: true });
		const thread: Thread = res.thread;

		const acked: Message[] = [];
		const stream = (d: Device, n: number) =>
			(async () => {
				for (let i = 0; i < n; i++) {
					acked.push(await d.send(thread.id, `${d.name} #${i}`));
					await new Promise((resolve) => setTimeout(resolve, 20));
				}
			})();
		// a1 and b2 on the node that will drain; b elsewhere. b and b2 share b's limit of 30 per 10 s.
		const streams = [stream(a1, 20), stream(b2, 12), stream(b, 12)];
		await until(() => acked.length >= 10, '10 acked');

		// Tickets handed out from the moment the node is draining must never name it.
		const child = cluster.nodes.get(node)!;
		const termAt = Date.now();
		child.process.kill('SIGTERM');
		const handedOut: string[] = [];
		const draining = () => [a1, b2].some((d) => d.events.some((e) => e.event === 'server:draining'));
		let probing = true;
		const probe = (async () => {
			const { token } = bLogin;
			while (probing) {
				const draws = await cluster.gateway.request('POST', '/api/auth/chat-ticket', { token });
				if (draining()) handedOut.push(cluster.nodeOf(draws.body.chat.url));
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		})();

		const exit = await child.exited;
		const exitedAt = Date.now();
		await Promise.all(streams);
		probing = false;
		await probe;

		expect(exit).toEqual({ code: 0, signal: null });
		expect(acked).toHaveLength(44);
		for (const d of [a1, a2, b, b2]) expect(d.errors, d.name).toEqual([]);
		expect(handedOut.length).toBeGreaterThan(0);
		expect(handedOut).not.toContain(node);

		const rows = await cluster.gateway.parley.db.db.selectFrom('messages').select(['id', 'seq']).where('thread_id', '=', thread.id).orderBy('seq').execute();
		expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 44 }, (_, i) => i + 1));
		expect(new Set(acked.map((m) => m.id)).size).toBe(44);
		for (const d of [a1, a2, b, b2]) {
			await until(() => d.contiguous(thread.id) === 44, `${d.name} to hold all 44`, 10_000);
			expect(d.thread(thread.id).map((m) => m.id), d.name).toEqual(rows.map((r) => r.id));
			for (const arrivals of d.arrivals) for (const [, n] of arrivals) expect(n).toBe(1);
		}
		// The drained node's clients were told once and moved; the others never noticed.
		for (const d of [a1, b2]) {
			expect(d.events.filter((e) => e.event === 'server:draining')).toHaveLength(1);
			expect(d.nodes[0]).toBe(node);
			expect(d.node).not.toBe(node);
		}
		expect(a2.nodes).toHaveLength(1);
		expect(b.nodes).toHaveLength(1);
		expect((await cluster.liveNodes()).map((n) => n.id)).not.toContain(node);

		const log = child.output.join('');
		expect(log).toMatch(/draining: 2 socket\(s\) moved in \d+ ms/);
		expect(log).not.toMatch(/still here after/);
		const moved = /moved in (\d+) ms/.exec(log)![1];
		console.log(
			`[cluster figures] SIGTERM of ${node} under traffic: its 2 sockets moved in ${moved} ms, process exited 0 after ${exitedAt - termAt} ms; ` +
				`${acked.length} sends acked, 0 errors, ${rows.length} stored, each of 4 devices holds ${rows.length}; ${handedOut.length} tickets during the drain, none for ${node}`
		);
	});
});
