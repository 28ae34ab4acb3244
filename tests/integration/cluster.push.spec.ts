import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/lib/protocol/index.js';
import { until, startCluster, type TestCluster } from '../helpers/cluster.js';
import { apart, Device, otherDevice } from '../helpers/cluster-device.js';
import { checkVapid, LoopbackPushService } from '../helpers/push.js';

// Web Push in a cluster: the decision reads presence and page visibility across nodes (the sender's
// node decides; the recipient's sockets are elsewhere), and every node signs with the same VAPID keys.

async function ok(device: Device, event: string, payload: unknown): Promise<any> {
	const ack = await device.request(event, payload);
	expect(ack, `${event} ${JSON.stringify(payload)}`).toMatchObject({ ok: true });
	return ack;
}

describe('web push across two chat nodes on postgres', () => {
	let cluster: TestCluster;
	let service: LoopbackPushService;
	const keys = webpush.generateVAPIDKeys();
	const devices: Device[] = [];
	const track = <T extends Device | Device[]>(d: T): T => (devices.push(...(Array.isArray(d) ? d : [d])), d);

	beforeAll(async () => {
		service = await new LoopbackPushService().start();
		cluster = await startCluster({ backend: 'postgres', nodes: 0 });
		const env = { VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey, PUSH_ALLOW_HTTP: 'true' };
		await Promise.all([cluster.spawnNode('chat-1', env), cluster.spawnNode('chat-2', env)]);
	}, 120_000);
	afterAll(async () => {
		for (const d of devices) d.stop();
		await cluster?.stop();
		await service?.stop();
	});

	it('pushes only when none of the recipient’s pages, on any node, is connected and visible', async () => {
		const [a, b] = track(await apart(cluster));
		expect(b.node).not.toBe(a.node);
		const req = await ok(a, 'friends:request', { userId: b.login.user.id });
		const { thread } = (await ok(b, 'friends:respond', { requestId: req.request.id, accept: true })) as { thread: Thread };
		const sub = service.subscription();
		expect((await ok(b, 'push:key', {})).publicKey).toBe(keys.publicKey);
		await ok(b, 'push:subscribe', { ...sub.toJSON(), label: 'Phone' });
		const bodies = () => service.to(sub).map((p) => JSON.parse(sub.decrypt(p.body)).body as string);

		// b's page on the other node is visible: a's node finds it there, and pushes nothing.
		await a.send(thread.id, 'You are looking');
		// The push decision runs after the ack, on a's node: let it read b's page as visible before b hides
		// it (too short a wait fails the test with a push of this message; it cannot make it pass).
		await new Promise((resolve) => setTimeout(resolve, 1500));
		// b hides it (reported to b's node); a's node reads that through the adapter and pushes.
		await ok(b, 'presence:visibility', { hidden: true });
		await a.send(thread.id, 'Hidden on the other node');
		await until(() => bodies().length >= 1, 'the push for the hidden page');
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(bodies()).toEqual(['Hidden on the other node']);
		checkVapid(service.to(sub)[0].headers.authorization, keys.publicKey, sub.endpoint);

		// A second, visible device (wherever it lands) holds pushes back again.
		const b2 = track(await otherDevice(cluster, b));
		await a.send(thread.id, 'Second device visible');
		await new Promise((resolve) => setTimeout(resolve, 1500));
		// Everything gone: offline anywhere, so the next one is pushed.
		b2.stop();
		b.stop();
		await until(async () => {
			const list = await a.request('friends:list', {});
			return (list as any).friends.find((f: any) => f.user.id === b.login.user.id)?.online === false;
		}, 'b to be offline across the cluster');
		await a.send(thread.id, 'Offline everywhere');
		await until(() => bodies().length >= 2, 'the push for the offline user');
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(bodies()).toEqual(['Hidden on the other node', 'Offline everywhere']);
	}, 120_000);
});
