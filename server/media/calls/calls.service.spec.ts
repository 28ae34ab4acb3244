import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UserCard } from '../../../src/lib/protocol/index.js';
import { callLine, parseCallSummary } from '../../../src/lib/protocol/index.js';
import { MemoryStore } from '../../kv/memory.js';
import { configureLogging, log } from '../../logger.js';
import { CallDirectory } from '../cluster/directory.js';
import { outcomeOf, type Call, type MediaHandle } from './call.js';
import { CallsService, type CallContext } from './calls.service.js';

configureLogging({ level: 'error' });

/** The state machine with fake media and signals and a real (in-memory) directory: no worker, no database. */
describe('CallsService', () => {
	let sent: Array<{ to: readonly string[] | string; event: string; payload: any; except?: string }>;
	let recorded: Array<{ call: Call; summary: unknown }>;
	let medias: Array<MediaHandle & { joined: string[]; left: string[]; closed: boolean }>;
	let now: number;
	let calls: CallsService;
	let directory: CallDirectory;

	const card = (id: string): UserCard => ({ id, username: id, displayName: id, bio: '', relationship: 'friend' });
	const ctx = (userId: string, socketId = `s${userId}`, node = 'chat-1'): CallContext => ({ userId, socketId, node });
	const pair = (a: string, b: string, video = true) => ({ threadId: `${a}-${b}`, video, group: false, members: [a, b], caller: card(a) });
	const group = (members: string[]) => ({ threadId: 'g', video: true, group: true, members, caller: card(members[0]) });

	function service(options: { media?: boolean; maxParticipants?: number } = {}) {
		return new CallsService({
			hostId: 'media-1',
			signals: {
				toUsers: (to, event, payload, except) => void sent.push({ to, event, payload, except }),
				toSocket: (to, event, payload) => void sent.push({ to, event, payload })
			},
			directory,
			media:
				options.media === false
					? null
					: async () => {
							const m = { joined: [] as string[], left: [] as string[], closed: false, join: (u: string) => void m.joined.push(u), leave: (u: string) => void m.left.push(u), close: () => void (m.closed = true) };
							medias.push(m);
							return m;
						},
			unavailableReason: 'no worker',
			record: async (call) => void recorded.push({ call, summary: call.summary() }),
			ringTimeoutMs: 1000,
			maxParticipants: options.maxParticipants ?? 50,
			now: () => now,
			log
		});
	}

	beforeEach(() => {
		vi.useFakeTimers();
		sent = [];
		recorded = [];
		medias = [];
		now = 1_000_000;
		directory = new CallDirectory(new MemoryStore());
		calls = service();
	});
	afterEach(() => vi.useRealTimers());

	const events = (event: string) => sent.filter((s) => s.event === event);
	const flush = async () => {
		for (let i = 0; i < 10; i++) await Promise.resolve();
	};

	it('rings the callee, answers, and records the duration when hung up', async () => {
		const call = await calls.invite(ctx('a'), pair('a', 'b'));
		expect(call).toMatchObject({ callerId: 'a', calleeId: 'b', state: 'ringing', kind: 'video', group: false, participants: [{ userId: 'a' }] });
		expect(events('call:ring')).toEqual([{ to: ['b'], event: 'call:ring', payload: { call, caller: card('a') }, except: undefined }]);
		expect((await directory.get(call.callId))?.host).toBe('media-1');
		expect(await calls.accept(ctx('b'), call.callId)).toMatchObject({ state: 'active' });
		expect(events('call:accepted')[0].to).toEqual(['a']);
		expect(events('call:ended')[0]).toMatchObject({ to: ['b'], payload: { reason: 'answered_elsewhere' }, except: 'sb' });
		await flush();
		expect(medias[0].joined).toEqual(['a', 'b']);
		now += 252_400;
		await calls.hangup(ctx('b'), call.callId);
		expect(events('call:ended')[1]).toMatchObject({ to: ['a', 'b'], payload: { reason: 'hangup', summary: { callKind: 'video', durationSec: 252, outcome: 'completed' } } });
		await calls.settled();
		expect(medias[0].closed).toBe(true);
		expect(calls.registry.size).toBe(0);
		expect(await directory.get(call.callId)).toBeNull();
		expect(await directory.userCall('a')).toBeNull();
		expect(callLine(recorded[0].summary as never)).toBe('Video call, 4:12');
	});

	it('ends with no_answer after the ring time; an answer then is not_found', async () => {
		const call = await calls.invite(ctx('a'), pair('a', 'b', false));
		vi.advanceTimersByTime(999);
		expect(events('call:ended')).toEqual([]);
		vi.advanceTimersByTime(1);
		expect(events('call:ended')[0].payload).toMatchObject({ reason: 'no_answer', summary: { outcome: 'missed', durationSec: 0, callKind: 'audio' } });
		await expect(calls.accept(ctx('b'), call.callId)).rejects.toMatchObject({ code: 'not_found' });
	});

	it('busy when the callee is in a call, on any media node; conflict when the caller is', async () => {
		await calls.invite(ctx('a'), pair('a', 'b'));
		// Another media node, the same directory: b is busy there too.
		const other = service();
		const busy = await other.invite(ctx('c'), pair('c', 'b'));
		expect(busy).toMatchObject({ state: 'ended', endReason: 'busy' });
		expect(events('call:ring')).toHaveLength(1);
		await expect(calls.invite(ctx('a', 'sa2'), pair('a', 'c'))).rejects.toMatchObject({ code: 'conflict' });
		expect(calls.registry.size).toBe(1);
		await other.settled();
		expect(await directory.userCall('c')).toBeNull();
	});

	it('a dropped socket ends a 1:1 call; other sockets of the same user do not', async () => {
		const call = await calls.invite(ctx('a'), pair('a', 'b'));
		await calls.accept(ctx('b'), call.callId);
		calls.socketGone('sb-other-device');
		expect(calls.registry.size).toBe(1);
		calls.socketGone('sb');
		expect(events('call:ended').at(-1)!.payload).toMatchObject({ reason: 'peer_left', summary: { outcome: 'completed' } });
		expect(calls.registry.size).toBe(0);
	});

	it('only the callee declines, only the caller cancels; outsiders get not_found', async () => {
		const call = await calls.invite(ctx('a'), pair('a', 'b'));
		await expect(calls.decline(ctx('a'), call.callId)).rejects.toMatchObject({ code: 'forbidden' });
		await expect(calls.cancel(ctx('b'), call.callId)).rejects.toMatchObject({ code: 'forbidden' });
		await expect(calls.accept(ctx('e'), call.callId)).rejects.toMatchObject({ code: 'not_found' });
		await expect(calls.join(ctx('e'), call.callId)).rejects.toMatchObject({ code: 'not_found' });
		await expect(calls.mediaOf(ctx('e'), call.callId)).rejects.toMatchObject({ code: 'not_found' });
		await expect(calls.mediaOf(ctx('b'), call.callId)).rejects.toMatchObject({ code: 'conflict' });
		await expect(calls.mediaOf(ctx('a', 'other'), call.callId)).rejects.toMatchObject({ code: 'conflict' });
		expect(await calls.mediaOf(ctx('a'), call.callId)).toBe(medias[0]);
		await calls.decline(ctx('b'), call.callId);
		expect(events('call:ended')[0].payload.summary.outcome).toBe('declined');
	});

	it('a group call: starts active, members join and leave, it ends with the last one and counts its people', async () => {
		const call = await calls.invite(ctx('a'), group(['a', 'b', 'c', 'd']));
		expect(call).toMatchObject({ state: 'active', group: true, calleeId: '', participants: [{ userId: 'a' }] });
		expect(events('call:ring')[0].to).toEqual(['b', 'c', 'd']);
		expect(events('call:updated')[0].to).toEqual(['a', 'b', 'c', 'd']);
		expect((await calls.join(ctx('b'), call.callId)).participants.map((p) => p.userId)).toEqual(['a', 'b']);
		await calls.accept(ctx('c'), call.callId);
		await calls.decline(ctx('d'), call.callId);
		expect(events('call:ended')).toEqual([{ to: ['d'], event: 'call:ended', payload: expect.objectContaining({ reason: 'declined' }), except: undefined }]);
		await calls.hangup(ctx('a'), call.callId);
		expect(events('call:updated').at(-1)!.payload.call.participants.map((p: { userId: string }) => p.userId)).toEqual(['b', 'c']);
		calls.socketGone('sb');
		now += 724_000;
		await calls.hangup(ctx('c'), call.callId);
		expect(events('call:ended').at(-1)).toMatchObject({ to: ['a', 'b', 'c', 'd'], payload: { reason: 'hangup' } });
		await calls.settled();
		expect(callLine(recorded[0].summary as never)).toBe('Group call, 12:04, 3 people');
		expect(await directory.ofThread('g')).toBeNull();
	});

	it('one call per group thread; a full call refuses; a person is in one call at a time', async () => {
		const call = await calls.invite(ctx('a'), group(['a', 'b', 'c', 'x']));
		await expect(calls.invite(ctx('b'), group(['a', 'b', 'c', 'x']))).rejects.toMatchObject({ code: 'conflict', fields: { callId: call.callId } });
		const small = service({ maxParticipants: 2 });
		const other = await small.invite(ctx('x'), { ...group(['x', 'y', 'z']), threadId: 'g2' });
		await small.join(ctx('y'), other.callId);
		await expect(small.join(ctx('z'), other.callId)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('full') });
		await expect(calls.join(ctx('x'), call.callId)).rejects.toMatchObject({ code: 'conflict' });
	});

	it('joining from another device moves you: the old socket is told `moved`, your media is set up again', async () => {
		const call = await calls.invite(ctx('a'), group(['a', 'b']));
		await calls.join(ctx('b'), call.callId);
		await flush();
		const moved = await calls.join(ctx('b', 'sb-phone'), call.callId);
		expect(moved.participants.map((p) => p.userId)).toEqual(['a', 'b']);
		expect(events('call:ended')).toEqual([{ to: 'sb', event: 'call:ended', payload: expect.objectContaining({ reason: 'moved' }) }]);
		expect(medias[0].left).toEqual(['b']);
		expect(medias[0].joined.filter((u) => u === 'b')).toHaveLength(2);
		await expect(calls.mediaOf(ctx('b'), call.callId)).rejects.toMatchObject({ code: 'conflict' });
		expect(await calls.mediaOf(ctx('b', 'sb-phone'), call.callId)).toBe(medias[0]);
	});

	it('participants on a chat node that died leave', async () => {
		const call = await calls.invite(ctx('a', 'sa', 'chat-1'), group(['a', 'b', 'c']));
		await calls.join(ctx('b', 'sb', 'chat-2'), call.callId);
		expect(calls.participantNodes()).toEqual(new Set(['chat-1', 'chat-2']));
		calls.nodesGone(new Set(['chat-2']));
		expect(calls.registry.get(call.callId)!.participants.has('b')).toBe(false);
		calls.nodesGone(new Set(['chat-1']));
		expect(calls.registry.size).toBe(0);
	});

	it('without media, invite is refused with the reason', async () => {
		await expect(service({ media: false }).invite(ctx('a'), pair('a', 'b'))).rejects.toMatchObject({ code: 'not_implemented', message: expect.stringContaining('no worker') });
	});

	it('close ends every call and waits for the lines', async () => {
		await calls.invite(ctx('a'), pair('a', 'b'));
		await calls.close();
		expect(recorded).toHaveLength(1);
		expect(calls.registry.size).toBe(0);
	});

	it('outcomes and lines', () => {
		expect(outcomeOf('hangup', true)).toBe('completed');
		expect(outcomeOf('peer_left', false)).toBe('cancelled');
		expect(outcomeOf('media_failed', false)).toBe('failed');
		expect(outcomeOf('media_lost', false)).toBe('failed');
		expect(callLine({ callKind: 'audio', durationSec: 3725, outcome: 'completed' })).toBe('Voice call, 1:02:05');
		expect(callLine({ callKind: 'audio', durationSec: 5, outcome: 'completed' })).toBe('Voice call, 0:05');
		expect(callLine({ callKind: 'video', durationSec: 0, outcome: 'busy' })).toBe('Missed call');
		expect(callLine({ callKind: 'video', durationSec: 61, outcome: 'completed', people: 1 })).toBe('Group call, 1:01, 1 person');
		expect(parseCallSummary('{"callKind":"video","durationSec":3,"outcome":"completed"}')).toEqual({ callKind: 'video', durationSec: 3, outcome: 'completed' });
		expect(parseCallSummary('{"callKind":"video","durationSec":3,"outcome":"completed","people":4}')).toMatchObject({ people: 4 });
		expect(parseCallSummary('not json')).toBeNull();
		expect(parseCallSummary('{"callKind":"fax"}')).toBeNull();
	});
});
