import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UserCard } from '../../../src/lib/protocol/index.js';
import { MemoryStore } from '../../kv/memory.js';
import { configureLogging, log } from '../../logger.js';
import type { CallMedia } from '../call-media.js';
import type { CallContext } from '../calls/calls.service.js';
import { LiveDirectory } from './live.directory.js';
import type { Live } from './live.js';
import { LiveService, type LiveDeps } from './live.service.js';

configureLogging({ level: 'error' });

/** The streams' lifetime with fake media and signals and a real (in-memory) directory: no worker, no database. */
describe('LiveService', () => {
	let sent: Array<{ to: readonly string[] | string; event: string; payload: any }>;
	let recorded: Array<{ live: Live; summary: unknown }>;
	let medias: Array<{ joined: string[]; left: string[]; closed: boolean }>;
	let now: number;
	let members: string[];
	let directory: LiveDirectory;
	let lives: LiveService;
	let deps: LiveDeps;

	const card = (id: string): UserCard => ({ id, username: id, displayName: id, bio: '', relationship: 'friend' });
	const ctx = (userId: string, socketId = `s${userId}`, node = 'chat-1'): CallContext => ({ userId, socketId, node });
	const start = (by: string, threadId = 'g') => lives.start(ctx(by), by, { threadId, source: 'camera', members: [...members], streamer: card(by) });
	const events = (event: string) => sent.filter((s) => s.event === event);
	const settle = () => new Promise((resolve) => setImmediate(resolve));

	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		sent = [];
		recorded = [];
		medias = [];
		now = 1_000_000;
		members = ['a', 'b', 'c'];
		directory = new LiveDirectory(new MemoryStore());
		deps = {
			hostId: 'media-1',
			signals: { toUsers: (to, event, payload) => void sent.push({ to, event, payload }), toSocket: (to, event, payload) => void sent.push({ to, event, payload }) },
			directory,
			media: async () => {
				const m = { joined: [] as string[], left: [] as string[], closed: false, join: (u: string) => void m.joined.push(u), leave: (u: string) => void m.left.push(u), close: () => void (m.closed = true) };
				medias.push(m);
				return m as unknown as CallMedia;
			},
			members: async () => [...members],
			record: async (live) => void recorded.push({ live, summary: live.summary() }),
			now: () => now,
			log
		};
		lives = new LiveService(deps);
	});
	afterEach(() => vi.useRealTimers());

	it('counts people, not devices; the peak stays; the line says how long and how many at most', async () => {
		const live = await start('a');
		await lives.watch(ctx('b'), live.id);
		await lives.watch(ctx('c'), live.id);
		await lives.watch(ctx('c', 'sc2'), live.id);
		expect(live.info().viewers).toBe(2);
		expect(medias[0].left).toEqual(['c']);
		await lives.leave(ctx('b'), live.id);
		expect(live.info().viewers).toBe(1);
		now += 65_000;
		await lives.endBy(ctx('a'), live.id);
		await lives.settled();
		expect(recorded).toHaveLength(1);
		expect(recorded[0].summary).toEqual({ durationSec: 65, peakViewers: 2 });
		expect(medias[0].closed).toBe(true);
		expect(await directory.ofThread('g')).toBeNull();
		expect(await directory.ofUser('a')).toBeNull();
	});

	it('refuses outsiders as if there were no stream, a viewer ending it, and a viewer sending', async () => {
		const live = await start('a');
		await expect(lives.watch(ctx('x'), live.id)).rejects.toMatchObject({ code: 'not_found' });
		await expect(lives.endBy(ctx('x'), live.id)).rejects.toMatchObject({ code: 'not_found' });
		await lives.watch(ctx('b'), live.id);
		await expect(lives.endBy(ctx('b'), live.id)).rejects.toMatchObject({ code: 'forbidden' });
		await expect(lives.mediaOf(ctx('b'), live.id, true)).rejects.toMatchObject({ code: 'forbidden' });
		await expect(lives.mediaOf(ctx('b'), live.id, false)).resolves.toBeDefined();
		await expect(lives.mediaOf(ctx('b', 'other'), live.id, false)).rejects.toMatchObject({ code: 'conflict' });
		await expect(lives.mediaOf(ctx('c'), live.id, false)).rejects.toMatchObject({ code: 'conflict' });
	});

	it('one stream per thread and per streamer; the thread frees when it ends', async () => {
		const live = await start('a');
		await expect(start('b')).rejects.toMatchObject({ code: 'conflict', fields: { liveId: live.id } });
		await expect(start('a', 'other')).rejects.toMatchObject({ code: 'conflict' });
		// The refused second stream left no mark on the other thread.
		expect(await directory.ofThread('other')).toBeNull();
		lives.end(live, 'ended');
		await lives.settled();
		await expect(start('b')).resolves.toBeDefined();
	});

	it("the streamer's socket, or its chat node, going away ends the stream; a viewer's only drops them", async () => {
		const live = await start('a');
		await lives.watch(ctx('b', 'sb', 'chat-2'), live.id);
		lives.socketGone('sb');
		await settle();
		expect(live.info().viewers).toBe(0);
		expect(live.state).toBe('live');
		lives.nodesGone(new Set(['chat-1']));
		expect(live.state).toBe('ended');
		await settle();
		expect(events('live:ended').map((e) => e.payload.reason)).toEqual(['streamer_left']);
	});

	it('an RTMP stream whose publisher drops waits 10 s: back in time it resumes, else it ends', async () => {
		const live = await lives.start(null, 'a', { threadId: 'g', source: 'rtmp', members, streamer: card('a') });
		lives.suspend(live);
		expect(lives.reconnecting('a', 'g')).toBe(live);
		vi.advanceTimersByTime(9_000);
		lives.resume(live);
		expect(live.state).toBe('live');
		vi.advanceTimersByTime(5_000);
		expect(live.state).toBe('live');
		lives.suspend(live);
		vi.advanceTimersByTime(10_000);
		expect(live.state).toBe('ended');
		expect(live.endReason).toBe('streamer_left');
	});

	it('members are read again: someone removed stops watching and hears no more', async () => {
		const live = await start('a');
		await lives.watch(ctx('b'), live.id);
		await lives.watch(ctx('c'), live.id);
		members = ['a', 'c'];
		now += 3_000;
		await lives.leave(ctx('c'), live.id);
		await settle();
		expect(live.viewers.size).toBe(0);
		const last = events('live:updated').at(-1)!;
		expect(last.to).toEqual(['a', 'c']);
		await expect(lives.watch(ctx('b'), live.id)).rejects.toMatchObject({ code: 'not_found' });
	});

	it('a viewer the relays place elsewhere is counted but not joined here; leaving and the end go to the relays', async () => {
		const relayed = new Map<string, string>();
		const told: string[] = [];
		// Every viewer after the first is served by media-2 (as RelaySources does past LIVE_VIEWERS_PER_NODE=1).
		lives = new LiveService({
			...deps,
			relays: {
				place: async (live: Live, _media: unknown, userId: string) => (live.viewers.size >= 1 ? (relayed.set(userId, 'media-2'), 'media-2') : 'media-1'),
				servedBy: (_liveId: string, userId: string) => relayed.get(userId),
				leave: (_liveId: string, userId: string) => void (relayed.delete(userId), told.push(`leave ${userId}`)),
				end: (liveId: string) => void told.push(`end ${liveId}`)
			}
		});
		const live = await start('a');
		await lives.watch(ctx('b'), live.id);
		await lives.watch(ctx('c'), live.id);
		expect(medias[0].joined).toEqual(['a', 'b']);
		expect(live.info().viewers).toBe(2);
		expect(lives.viewers()).toBe(2);
		expect([lives.servedBy(live.id, 'b'), lives.servedBy(live.id, 'c')]).toEqual([undefined, 'media-2']);
		await lives.leave(ctx('c'), live.id);
		await settle();
		expect(told).toEqual(['leave c']);
		expect(medias[0].left).toEqual([]);
		await lives.endBy(ctx('a'), live.id);
		expect(told).toEqual(['leave c', `end ${live.id}`]);
	});
});
