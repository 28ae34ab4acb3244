import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FriendsListResponse, Message, Thread } from '../../src/lib/protocol/index.js';
import { startCluster, until, type TestCluster } from '../helpers/cluster.js';
import { apart, type Device } from '../helpers/cluster-device.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';

// Issue 16, outages: the cluster's Redis restarted (empty: no persistence) in the middle of a stream of
// sends. The nodes reconnect by themselves; every acked message is stored once and reaches every
// device; the node registry and presence are back within seconds. A private redis-server, so the
// machine's shared Redis is never touched.

const PER_SENDER = 30;

describe('Redis restarted during traffic (cluster on postgres)', () => {
	let redis: PrivateRedis;
	let cluster: TestCluster;
	const devices: Device[] = [];

	beforeAll(async () => {
		redis = await startPrivateRedis();
		cluster = await startCluster({ backend: 'postgres', nodes: 2, redisUrl: redis.url });
	}, 180_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		if (redis && !redis.running()) await redis.start();
		await cluster?.stop();
		await redis?.stop();
	});

	it('nodes reconnect, nothing acked is lost or doubled, the registry and presence recover within seconds', async () => {
		const [a, b] = await apart(cluster);
		devices.push(a, b);
		const req: any = await a.request('friends:request', { userId: b.login.user.id });
		const res: any = await b.request('friends:respond', { requestId: req.request.id, accept: true });
		expect(res.ok).toBe(true);
		const thread: Thread = res.thread;
		const online = async (d: Device, other: Device) => {
			const ack = await d.request<FriendsListResponse>('friends:list', {});
			return ack.ok && ack.friends.some((f) => f.user.id === other.login.user.id && f.user.online === true);
		};
		await until(async () => (await online(a, b)) && (await online(b, a)), 'a and b to see each other online');

		const acked: Message[] = [];
		const refused: string[] = [];
		const stream = (d: Device) =>
			(async () => {
				for (let i = 0; i < PER_SENDER; i++) {
					const clientId = crypto.randomUUID();
					// A refused send is resent with the same clientId, as the web client does.
					for (;;) {
						try {
							acked.push(await d.send(thread.id, `${d.name} #${i}`, clientId));
							break;
						} catch (error) {
							refused.push((error as Error).message);
							await new Promise((resolve) => setTimeout(resolve, 200));
						}
					}
					await new Promise((resolve) => setTimeout(resolve, 40));
				}
			})();
		const streams = [stream(a), stream(b)];
		await until(() => acked.length >= 10, '10 sends acked');

		const stoppedAt = Date.now();
		await redis.stop();
		await new Promise((resolve) => setTimeout(resolve, 1500));
		await redis.start();
		const restartedAt = Date.now();
		await Promise.all(streams);
		const allAckedAt = Date.now();

		// The registry: both nodes live again, and a new login is handed one and connects. A quiet machine
		// takes about 3 s (the figures line below); the wait allows 60, for a machine at load 19 (seen in
		// CI beside a benchmark: 20 s was not enough), where each node's beat stalls past its 3 intervals.
		await until(async () => (await cluster.liveNodes()).length === 2, 'both nodes back in the registry', 60_000, 50).catch(async (error) => {
			// What each node printed says why one did not come back (one died of an unhandled rejection before).
			console.log('live nodes:', JSON.stringify(await cluster.liveNodes()));
			for (const [name, node] of cluster.nodes) console.log(`${name} printed:\n${node.output.join('').slice(-6000)}`);
			throw error;
		});
		const registryAt = Date.now();
		// Presence: each sees the other online again (the nodes recount their sockets into the new Redis).
		await until(async () => (await online(a, b)) && (await online(b, a)), 'presence back', 60_000, 50);
		const presenceAt = Date.now();

		// The database: every acked message once, gapless.
		const rows = await cluster.gateway.parley.db.db.selectFrom('messages').select(['id', 'seq', 'client_id']).where('thread_id', '=', thread.id).orderBy('seq').execute();
		expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 2 * PER_SENDER }, (_, i) => i + 1));
		expect(new Set(acked.map((m) => m.id)).size).toBe(2 * PER_SENDER);
		expect(new Set(rows.map((r) => r.id))).toEqual(new Set(acked.map((m) => m.id)));
		for (const d of [a, b]) {
			await until(() => d.contiguous(thread.id) === rows.length, `${d.name} to hold all ${rows.length}`, 20_000);
			expect(d.thread(thread.id).map((m) => m.id), d.name).toEqual(rows.map((r) => r.id));
			for (const arrivals of d.arrivals) for (const [id, n] of arrivals) expect(n, `${d.name} got ${id} ${n} times on one connection`).toBe(1);
		}
		// A send refused while Redis was away is 503 `unavailable` (try again), never a bug's `internal`.
		for (const r of refused) expect(JSON.parse(r).code, r).toBe('unavailable');

		console.log(
			`[outage figures] Redis down ${restartedAt - stoppedAt} ms: all ${acked.length} sends acked ${allAckedAt - restartedAt} ms after it was back ` +
				`(${refused.length} refusals resent: ${[...new Set(refused.map((r) => JSON.parse(r).code))].join(', ') || 'none'}; reconnects a ${a.reconnectedAt.length}, b ${b.reconnectedAt.length}); ` +
				`registry whole ${registryAt - restartedAt} ms, presence ${presenceAt - restartedAt} ms after`
		);
	}, 180_000);
});
