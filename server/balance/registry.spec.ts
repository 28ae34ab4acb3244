import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisPresenceStore } from '../chat/presence/presence.redis.js';
import { NodeRegistry, type NodeInfo } from './registry.js';

// The registry's scripts on real Redis (TEST_REDIS_URL, default the local standard port), each test
// under a prefix of its own that is deleted afterwards.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('NodeRegistry', () => {
	let redis: Redis;
	let prefix: string;
	let registry: NodeRegistry;
	const node = (id: string, over: Partial<NodeInfo> = {}): NodeInfo => ({ id, url: `http://${id}`, startedAt: '2026-11-27T00:00:00.000Z', draining: false, instance: `${id}:1`, ...over });

	beforeAll(async () => {
		redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
		await redis.connect();
	});
	beforeEach(() => {
		prefix = `parley-test:${randomBytes(4).toString('hex')}:`;
		registry = new NodeRegistry({ redis, prefix });
	});
	afterAll(async () => {
		const keys = await redis.keys('parley-test:*:nodes:*');
		const presence = await redis.keys('parley-test:*:presence:*');
		if (keys.length + presence.length > 0) await redis.del(...keys, ...presence);
		await redis.quit();
	});

	it('picks the least-loaded live node, counting its reservations; none left: null', async () => {
		expect(await registry.pick(60_000)).toBeNull();
		expect(await registry.beat(node('a'), 2, TTL)).toBe('fresh');
		expect(await registry.beat(node('b'), 0, TTL)).toBe('fresh');
		expect(await registry.beat(node('b'), 0, TTL)).toBe('ok');
		const picks = [];
		for (let i = 0; i < 4; i++) picks.push((await registry.pick(60_000))!.id);
		// b: 0, 1 then both at 2, then one of them at 3: 'b', 'b', then a or b, then the other.
		expect(picks.slice(0, 2)).toEqual(['b', 'b']);
		expect(picks.slice(2).sort()).toEqual(['a', 'b']);
		expect((await registry.list()).map((n) => [n.id, n.connections])).toEqual([
			['a', 3],
			['b', 3]
		]);
	});

	it('a reservation is spent when its socket arrives and lapses with its ticket', async () => {
		await registry.beat(node('a'), 0, TTL);
		const picked = (await registry.pick(60_000))!;
		expect((await registry.list())[0].connections).toBe(1);
		await registry.connected('a', 1, { node: 'a', id: picked.reservation });
		expect((await registry.list())[0].connections).toBe(1);
		await registry.connected('a', 0);
		expect((await registry.list())[0].connections).toBe(0);
		await registry.pick(300);
		expect((await registry.list())[0].connections).toBe(1);
		await sleep(350);
		expect((await registry.list())[0].connections).toBe(0);
	});

	it('ties are broken at random', async () => {
		for (const id of ['a', 'b', 'c']) await registry.beat(node(id), 0, TTL);
		const seen = new Set<string>();
		for (let i = 0; i < 30; i++) {
			seen.add((await registry.pick(60_000))!.id);
			// Give the reservations back so all three stay tied.
			for (const id of ['a', 'b', 'c']) await redis.del(`${prefix}nodes:reserved:${id}`);
		}
		expect([...seen].sort()).toEqual(['a', 'b', 'c']);
	});

	it('never picks a draining node or one whose heartbeat is older than its time to live', async () => {
		await registry.beat(node('draining', { draining: true }), 0, TTL);
		await registry.beat(node('old'), 0, 50);
		await registry.beat(node('busy'), 100, TTL);
		await sleep(80);
		for (let i = 0; i < 5; i++) expect((await registry.pick(60_000))!.id).toBe('busy');
		const list = await registry.list();
		expect(list.map((n) => [n.id, n.alive])).toEqual([
			['busy', true],
			['draining', true],
			['old', false]
		]);
	});

	it('avoids the node at a URL the client could not reach while another is live, but names it when it is the only one', async () => {
		await registry.beat(node('crashed'), 0, TTL);
		await registry.beat(node('busy'), 100, TTL);
		// Without the hint the emptier node is named, however it fares.
		expect((await registry.pick(60_000))!.id).toBe('crashed');
		for (let i = 0; i < 5; i++) expect((await registry.pick(60_000, { avoid: 'http://crashed' }))!.id).toBe('busy');
		await registry.release('busy');
		expect((await registry.pick(60_000, { avoid: 'http://crashed' }))!.id).toBe('crashed');
		// A URL that is no node's changes nothing.
		expect((await registry.pick(60_000, { avoid: 'http://elsewhere' }))!.id).toBe('crashed');
	});

	it('a dead node is claimed by exactly one caller, with the users whose last socket was there', async () => {
		const other = new NodeRegistry({ redis, prefix });
		await registry.beat(node('dead'), 0, 50);
		await registry.beat(node('alive'), 0, TTL);
		const presence = (id: string) => new RedisPresenceStore({ redis, prefix, nodeId: id, instance: () => `${id}:1` });
		const onDead = presence('dead');
		const onAlive = presence('alive');
		expect(await onDead.add('u1', 's1')).toBe(true);
		expect(await onDead.add('u2', 's2')).toBe(true);
		expect(await onAlive.add('u2', 's3')).toBe(false);
		await sleep(80);
		const claims = await Promise.all([registry.claimDead(), other.claimDead(), registry.claimDead()]);
		expect(claims.flat()).toEqual([{ id: 'dead', offline: ['u1'] }]);
		expect([...(await onAlive.onlineAmong(['u1', 'u2']))]).toEqual(['u2']);
		expect(await registry.list()).toHaveLength(1);
		// What the dead process does now counts for nothing (it is no longer registered).
		expect(await onDead.add('u3', 's4')).toBe(false);
		expect([...(await onAlive.onlineAmong(['u3']))]).toEqual([]);
	});

	it('a second live process with the same id is a conflict; its dead predecessor is stale', async () => {
		await registry.beat(node('x', { instance: 'x:first' }), 0, 300);
		expect(await registry.beat(node('x', { instance: 'x:second' }), 0, TTL)).toBe('conflict');
		await sleep(350);
		expect(await registry.beat(node('x', { instance: 'x:second' }), 0, TTL)).toBe('stale');
		expect(await registry.release('x', 'x:first')).toEqual([]);
		expect(await registry.beat(node('x', { instance: 'x:second' }), 0, TTL)).toBe('fresh');
		// Releasing with another instance's id leaves the entry alone.
		await registry.release('x', 'x:first');
		expect((await registry.list()).map((n) => n.instance)).toEqual(['x:second']);
	});

	it('a node declared dead while alive registers again and recounts its sockets (resync)', async () => {
		const observer = new RedisPresenceStore({ redis, prefix, nodeId: 'observer', instance: () => '' });
		const store = new RedisPresenceStore({ redis, prefix, nodeId: 'n', instance: () => 'n:1' });
		await registry.beat(node('n'), 0, 40);
		await store.add('u1', 's1');
		await store.add('u1', 's2');
		await sleep(60);
		expect(await registry.claimDead()).toEqual([{ id: 'n', offline: ['u1'] }]);
		// Meanwhile one socket left and another user came.
		expect(await store.remove('u1', 's1')).toBe(false);
		expect(await store.add('u2', 's3')).toBe(false);
		expect(await registry.beat(node('n'), 2, TTL)).toBe('fresh');
		const changed = await store.resync();
		expect(changed.online.sort()).toEqual(['u1', 'u2']);
		expect(changed.offline).toEqual([]);
		expect([...(await observer.onlineAmong(['u1', 'u2']))].sort()).toEqual(['u1', 'u2']);
		expect(await store.remove('u1', 's2')).toBe(true);
		expect(await store.resync()).toEqual({ online: [], offline: [] });
	});
});
