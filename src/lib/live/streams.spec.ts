import { describe, expect, it } from 'vitest';
import type { LiveInfo, UserCard } from '$lib/protocol';
import { LiveStreams, type EndedLive, type LiveEventSource } from './streams.svelte';

const live = (over: Partial<LiveInfo> = {}): LiveInfo => ({ liveId: 'l1', threadId: 't1', streamerId: 'alice', source: 'camera', startedAt: '2026-12-07T05:00:00.000Z', viewers: 0, state: 'live', ...over });
const alice: UserCard = { id: 'alice', username: 'alice', displayName: 'Alice', bio: '', avatarUrl: null } as unknown as UserCard;

/** A socket stand-in that lets the test fire the live events. */
function socket() {
	const listeners = new Map<string, (payload: never) => void>();
	const source = { on: (event: string, listener: (payload: never) => void) => listeners.set(event, listener) } as unknown as LiveEventSource;
	const emit = (event: string, payload: unknown) => listeners.get(event)?.(payload as never);
	return { source, emit };
}

describe('LiveStreams', () => {
	it('restores the streams live now from live:active, dropping ended ones', async () => {
		const streams = new LiveStreams();
		const { source } = socket();
		streams.attach(source, async () => ({ streams: [live(), live({ liveId: 'l2', threadId: 't2', state: 'ended' })] }));
		await Promise.resolve();
		await Promise.resolve();
		expect(streams.of('t1')?.liveId).toBe('l1');
		expect(streams.of('t2')).toBeNull();
	});

	it('follows started, updated (viewers) and ended, and tells who listens of the end', () => {
		const streams = new LiveStreams();
		const { source, emit } = socket();
		streams.attach(source, () => new Promise(() => undefined));
		const ends: EndedLive[] = [];
		const stop = streams.onEnd((e) => ends.push(e));

		emit('live:started', { live: live(), streamer: alice });
		expect(streams.of('t1')?.viewers).toBe(0);
		expect(streams.streamers.alice.displayName).toBe('Alice');
		emit('live:updated', { live: live({ viewers: 17 }) });
		expect(streams.byId('l1')?.viewers).toBe(17);

		emit('live:ended', { liveId: 'l1', threadId: 't1', reason: 'ended', summary: { durationSec: 2530, peakViewers: 17 } });
		expect(streams.of('t1')).toBeNull();
		expect(streams.ended.l1.summary.peakViewers).toBe(17);
		expect(ends.map((e) => e.liveId)).toEqual(['l1']);
		stop();
		emit('live:ended', { liveId: 'l9', threadId: 't9', reason: 'ended', summary: { durationSec: 1, peakViewers: 0 } });
		expect(ends).toHaveLength(1);
	});

	it('a reconnect that no longer lists a stream drops it; an update saying ended drops it too', () => {
		const streams = new LiveStreams();
		streams.put(live());
		streams.put(live({ liveId: 'l2', threadId: 't2' }));
		streams.replace([live({ liveId: 'l2', threadId: 't2', state: 'reconnecting' })]);
		expect(streams.of('t1')).toBeNull();
		expect(streams.of('t2')?.state).toBe('reconnecting');
		streams.put(live({ liveId: 'l2', threadId: 't2', state: 'ended' }));
		expect(streams.of('t2')).toBeNull();
	});
});
