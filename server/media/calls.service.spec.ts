import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UserCard } from '../../src/lib/protocol/index.js';
import { callLine, parseCallSummary } from '../../src/lib/protocol/index.js';
import { AppError } from '../errors.js';
import { configureLogging, log } from '../logger.js';
import { CallsService, outcomeOf, type Call, type MediaHandle } from './calls.service.js';

configureLogging({ level: 'error' });

/** The state machine with fake media and signals: no worker, no database. */
describe('CallsService', () => {
	let sent: Array<{ to: readonly string[]; event: string; payload: any; except?: string }>;
	let recorded: Array<{ call: Call; summary: unknown }>;
	let medias: Array<MediaHandle & { joined: string[]; closed: boolean }>;
	let now: number;
	let calls: CallsService;

	const card = (id: string): UserCard => ({ id, username: id, displayName: id, bio: '', relationship: 'friend' });

	function service(options: { media?: boolean } = {}) {
		return new CallsService({
			signals: { toUsers: (to, event, payload, except) => void sent.push({ to, event, payload, except }) },
			peerOf: async (threadId, userId) => {
				const [x, y] = threadId.split('-');
				if (userId !== x && userId !== y) throw new AppError('not_found', `thread "${threadId}" not found`);
				return { calleeId: userId === x ? y : x, caller: card(userId) };
			},
			media:
				options.media === false
					? null
					: async () => {
							const m = { joined: [] as string[], closed: false, join: (u: string) => void m.joined.push(u), leave: () => {}, close: () => void (m.closed = true) };
							medias.push(m);
							return m;
						},
			unavailableReason: 'no worker',
			record: async (call, summary) => void recorded.push({ call, summary }),
			ringTimeoutMs: 1000,
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
		calls = service();
	});
	afterEach(() => vi.useRealTimers());

	const events = (event: string) => sent.filter((s) => s.event === event);

	it('rings the callee, answers, and records the duration when hung up', async () => {
		const call = await calls.invite('a', 'sa', { threadId: 'a-b', video: true });
		expect(call).toMatchObject({ callerId: 'a', calleeId: 'b', state: 'ringing', kind: 'video' });
		expect(events('call:ring')).toEqual([{ to: ['b'], event: 'call:ring', payload: { call, caller: card('a') }, except: undefined }]);
		await vi.runAllTicks();
		expect(await calls.accept('b', 'sb', call.callId)).toMatchObject({ state: 'active' });
		expect(events('call:accepted')[0].to).toEqual(['a']);
		expect(events('call:ended')[0]).toMatchObject({ to: ['b'], payload: { reason: 'answered_elsewhere' }, except: 'sb' });
		await Promise.resolve();
		expect(medias[0].joined).toEqual(['a', 'b']);
		now += 252_400;
		await calls.hangup('b', call.callId);
		expect(events('call:ended')[1]).toMatchObject({ to: ['a', 'b'], payload: { reason: 'hangup', summary: { callKind: 'video', durationSec: 252, outcome: 'completed' } } });
		await Promise.resolve();
		expect(medias[0].closed).toBe(true);
		expect(calls.registry.size).toBe(0);
		expect(recorded).toHaveLength(1);
		expect(callLine(recorded[0].summary as never)).toBe('Video call, 4:12');
	});

	it('ends with no_answer after the ring time; an answer then is not_found', async () => {
		const call = await calls.invite('a', 'sa', { threadId: 'a-b', video: false });
		vi.advanceTimersByTime(999);
		expect(events('call:ended')).toEqual([]);
		vi.advanceTimersByTime(1);
		expect(events('call:ended')[0].payload).toMatchObject({ reason: 'no_answer', summary: { outcome: 'missed', durationSec: 0, callKind: 'audio' } });
		await expect(calls.accept('b', 'sb', call.callId)).rejects.toMatchObject({ code: 'not_found' });
	});

	it('busy when the callee is in a call; conflict when the caller is', async () => {
		await calls.invite('a', 'sa', { threadId: 'a-b', video: true });
		const busy = await calls.invite('c', 'sc', { threadId: 'c-b', video: true });
		expect(busy).toMatchObject({ state: 'ended', endReason: 'busy' });
		expect(events('call:ring')).toHaveLength(1);
		await expect(calls.invite('a', 'sa2', { threadId: 'a-c', video: true })).rejects.toMatchObject({ code: 'conflict' });
		expect(calls.registry.size).toBe(1);
	});

	it('a dropped socket ends the calls on it; other sockets of the same user do not', async () => {
		const call = await calls.invite('a', 'sa', { threadId: 'a-b', video: true });
		await calls.accept('b', 'sb', call.callId);
		calls.socketGone('sb-other-device');
		expect(calls.registry.size).toBe(1);
		calls.socketGone('sb');
		expect(events('call:ended').at(-1)!.payload).toMatchObject({ reason: 'peer_left', summary: { outcome: 'completed' } });
		expect(calls.registry.size).toBe(0);
	});

	it('only the callee declines, only the caller cancels; outsiders get not_found', async () => {
		const call = await calls.invite('a', 'sa', { threadId: 'a-b', video: true });
		await expect(calls.decline('a', call.callId)).rejects.toMatchObject({ code: 'forbidden' });
		await expect(calls.cancel('b', call.callId)).rejects.toMatchObject({ code: 'forbidden' });
		await expect(calls.accept('e', 'se', call.callId)).rejects.toMatchObject({ code: 'not_found' });
		await expect(calls.invite('e', 'se', { threadId: 'a-b', video: true })).rejects.toMatchObject({ code: 'not_found' });
		await expect(calls.mediaOf('e', 'se', call.callId)).rejects.toMatchObject({ code: 'not_found' });
		await expect(calls.mediaOf('b', 'sb', call.callId)).rejects.toMatchObject({ code: 'conflict' });
		await expect(calls.mediaOf('a', 'other', call.callId)).rejects.toMatchObject({ code: 'conflict' });
		expect(await calls.mediaOf('a', 'sa', call.callId)).toBe(medias[0]);
		await calls.decline('b', call.callId);
		expect(events('call:ended')[0].payload.summary.outcome).toBe('declined');
	});

	it('without media, invite is refused with the reason', async () => {
		await expect(service({ media: false }).invite('a', 'sa', { threadId: 'a-b', video: true })).rejects.toMatchObject({ code: 'not_implemented', message: expect.stringContaining('no worker') });
	});

	it('close ends every call and waits for the lines', async () => {
		await calls.invite('a', 'sa', { threadId: 'a-b', video: true });
		await calls.close();
		expect(recorded).toHaveLength(1);
		expect(calls.registry.size).toBe(0);
	});

	it('outcomes and lines', () => {
		expect(outcomeOf('hangup', true)).toBe('completed');
		expect(outcomeOf('peer_left', false)).toBe('cancelled');
		expect(outcomeOf('media_failed', false)).toBe('failed');
		expect(callLine({ callKind: 'audio', durationSec: 3725, outcome: 'completed' })).toBe('Voice call, 1:02:05');
		expect(callLine({ callKind: 'audio', durationSec: 5, outcome: 'completed' })).toBe('Voice call, 0:05');
		expect(callLine({ callKind: 'video', durationSec: 0, outcome: 'busy' })).toBe('Missed call');
		expect(parseCallSummary('{"callKind":"video","durationSec":3,"outcome":"completed"}')).toEqual({ callKind: 'video', durationSec: 3, outcome: 'completed' });
		expect(parseCallSummary('not json')).toBeNull();
		expect(parseCallSummary('{"callKind":"fax"}')).toBeNull();
	});
});
