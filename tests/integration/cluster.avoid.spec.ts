import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeRegistry } from '../../server/balance/registry.js';
import { signUp, startCluster, type TestCluster } from '../helpers/cluster.js';

// POST /api/auth/chat-ticket {avoid} (extension): a client that could not reach the node its ticket
// named asks for another. A crashed node stays in the registry until its heartbeat expires; here one is
// staged for as long as the test needs: an entry with a long time to live whose URL nobody listens on.
// The gateway must name the live node instead of it whenever asked to avoid it, and still name a node
// when the avoided one is the only one.

describe('chat-ticket {avoid} (on postgres)', () => {
	let cluster: TestCluster;
	let registry: NodeRegistry;
	const crashed = { id: 'crashed', url: 'http://127.0.0.1:9', startedAt: new Date().toISOString(), draining: false, instance: 'crashed:1' };

	beforeAll(async () => {
		cluster = await startCluster({ backend: 'postgres', nodes: 1 });
		registry = new NodeRegistry({ redis: cluster.redis, prefix: cluster.prefix });
		expect(await registry.beat(crashed, 0, 10 * 60_000)).toBe('fresh');
	}, 180_000);
	afterAll(async () => {
		await cluster?.stop();
	});

	it('names the live node instead of the avoided one, and its ticket connects; without the hint the crashed node is named too', async () => {
		const login = await signUp(cluster);
		const live = cluster.nodes.get('chat-1')!.url;
		const ticket = (body?: unknown) => cluster.gateway.request('POST', '/api/auth/chat-ticket', { token: login.token, body });

		// Today's behaviour, the reason for the hint: the balancer spreads tickets over both entries.
		const plain = new Set<string>();
		for (let i = 0; i < 6; i++) plain.add((await ticket()).body.chat.url);
		expect([...plain].sort()).toEqual([crashed.url, live].sort());

		for (let i = 0; i < 6; i++) {
			const res = await ticket({ avoid: crashed.url });
			expect(res.status).toBe(200);
			expect(res.body.chat.url).toBe(live);
		}
		const socket = await cluster.gateway.connectSocket((await ticket({ avoid: crashed.url })).body.chat.ticket, live);
		expect(socket.connected).toBe(true);
		socket.disconnect();
	});

	it('is only a hint: the only live node is named even when avoided; a malformed hint is refused', async () => {
		const login = await signUp(cluster);
		const live = cluster.nodes.get('chat-1')!.url;
		const ticket = (body?: unknown) => cluster.gateway.request('POST', '/api/auth/chat-ticket', { token: login.token, body });

		// Avoiding the live node leaves the crashed one, which is still listed: the client will fail
		// there and avoid it next time. With the crashed one gone, the live one is named regardless.
		expect((await ticket({ avoid: live })).body.chat.url).toBe(crashed.url);
		await registry.release(crashed.id);
		expect((await ticket({ avoid: live })).body.chat.url).toBe(live);

		const bad = await ticket({ avoid: 42 });
		expect(bad.status).toBe(400);
		expect(bad.body.error.code).toBe('invalid_input');
		const unknown = await ticket({ avoid: live, node: 'chat-1' });
		expect(unknown.status).toBe(400);
	});
});
