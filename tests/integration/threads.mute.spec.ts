import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MUTED_FOREVER, type Thread, type ThreadsListResponse } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, device, Events, fails, ok, people } from '../helpers/chat.js';
import { befriendAll, createGroup } from '../helpers/groups.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md, "Notifications": threads:mute.
describe.each(backendNames())('threads:mute on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
	});
	afterAll(async () => t?.stop());

	it('mutes for a time, for ever, and unmutes; only for the one who asked; every device of theirs hears it', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const a2 = await device(t, a);
		const events = new Events(a2, ['thread:updated']);
		const until = new Date(Date.now() + 3600_000).toISOString();
		const muted = await ok<{ thread: Thread }>(a.socket, 'threads:mute', { threadId: thread.id, until });
		expect(muted.thread).toMatchObject({ id: thread.id, mutedUntil: until });
		expect((await events.next('thread:updated')).thread).toMatchObject({ id: thread.id, mutedUntil: until });
		// Kept: the list and threads:get say so; the peer's view does not.
		const listed = (await ok<ThreadsListResponse>(a.socket, 'threads:list', {})).threads.find((x) => x.id === thread.id);
		expect(listed?.mutedUntil).toBe(until);
		expect((await ok<{ thread: Thread }>(b.socket, 'threads:get', { threadId: thread.id })).thread.mutedUntil).toBeUndefined();

		expect((await ok<{ thread: Thread }>(a.socket, 'threads:mute', { threadId: thread.id, until: 'forever' })).thread.mutedUntil).toBe(MUTED_FOREVER);
		expect((await ok<{ thread: Thread }>(a.socket, 'threads:get', { threadId: thread.id })).thread.mutedUntil).toBe(MUTED_FOREVER);
		const unmuted = await ok<{ thread: Thread }>(a.socket, 'threads:mute', { threadId: thread.id, until: null });
		expect(unmuted.thread.mutedUntil).toBeUndefined();
		// A time already past unmutes too.
		await ok(a.socket, 'threads:mute', { threadId: thread.id, until: 'forever' });
		expect((await ok<{ thread: Thread }>(a.socket, 'threads:mute', { threadId: thread.id, until: '2020-01-01T00:00:00Z' })).thread.mutedUntil).toBeUndefined();
		a2.disconnect();
	});

	it('a group member mutes the group for themselves', async () => {
		const [a, b, c] = await people(t, 3);
		await befriendAll(a, [b, c]);
		const group = await createGroup(a, [b, c], 'Loud');
		const { thread } = await ok<{ thread: Thread }>(b.socket, 'threads:mute', { threadId: group.id, until: 'forever' });
		expect(thread).toMatchObject({ kind: 'group', mutedUntil: MUTED_FOREVER });
		expect((await ok<{ thread: Thread }>(a.socket, 'threads:get', { threadId: group.id })).thread.mutedUntil).toBeUndefined();
	});

	it('refuses bad input with the field named, and threads one is not in, changing nothing', async () => {
		const [a, b, c] = await people(t, 3);
		const thread = await befriend(a, b);
		const bad: Array<[unknown, string]> = [
			[{ threadId: thread.id }, 'until'],
			[{ threadId: thread.id, until: 'tomorrow' }, 'until'],
			[{ threadId: thread.id, until: 12 }, 'until'],
			[{ threadId: thread.id, until: '2026-13-45T00:00:00Z' }, 'until'],
			[{ threadId: thread.id, until: new Date(Date.now() + 400 * 86400_000).toISOString() }, 'until'],
			[{ threadId: '', until: null }, 'threadId'],
			[{ threadId: 5, until: null }, 'threadId'],
			[{ threadId: thread.id, until: null, extra: 1 }, ''],
			['nonsense', '']
		];
		for (const [payload, field] of bad) {
			const error = await fails(a.socket, 'threads:mute', payload, 'invalid_input');
			if (field) expect(Object.keys(error.fields ?? {}), JSON.stringify(payload)).toContain(field);
		}
		await fails(c.socket, 'threads:mute', { threadId: thread.id, until: 'forever' }, 'not_found');
		await fails(a.socket, 'threads:mute', { threadId: 'nosuchthread', until: 'forever' }, 'not_found');
		expect((await ok<{ thread: Thread }>(a.socket, 'threads:get', { threadId: thread.id })).thread.mutedUntil).toBeUndefined();
		expect((await ok<{ thread: Thread }>(b.socket, 'threads:get', { threadId: thread.id })).thread.mutedUntil).toBeUndefined();
	});
});
