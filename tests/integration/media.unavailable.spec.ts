import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, fails, ok, people } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Without a mediasoup worker (here: MEDIASOUP_WORKER_BIN names nothing) Parley still runs: chat works,
// healthz and call:config say calls are unavailable and why, and a call (or a live stream) is refused with that reason.
describe('calls without a mediasoup worker', () => {
	let t: TestParley;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: { MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' }, parley: { limits: { codesPerIp: 10_000 } } });
	});
	afterAll(async () => t?.stop());

	it('healthz, call:config and call:invite say so; chat goes on', async () => {
		expect((await t.request('GET', '/healthz')).body).toMatchObject({ status: 'ok', media: 'unavailable' });
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const config = await ok(a.socket, 'call:config', {});
		expect(config).toMatchObject({ media: 'unavailable', reason: expect.stringContaining('/nonexistent/mediasoup-worker') });
		const error = await fails(a.socket, 'call:invite', { threadId: thread.id, video: true }, 'not_implemented');
		expect(error.message).toMatch(/calls are unavailable on this server/);
		await fails(a.socket, 'call:test', {}, 'not_implemented');
		// Live streams likewise, from the browser and from the RTMP ingest.
		expect((await fails(a.socket, 'live:start', { threadId: thread.id, source: 'camera' }, 'not_implemented')).message).toMatch(/live streams are unavailable on this server/);
		await expect(t.parley.media!.live!.startRtmp({ userId: a.user.id, threadId: thread.id })).rejects.toMatchObject({ code: 'not_implemented', message: expect.stringContaining('/nonexistent/mediasoup-worker') });
		expect((await ok(a.socket, 'live:active', {})).streams).toEqual([]);
		await ok(a.socket, 'messages:send', { threadId: thread.id, clientId: crypto.randomUUID(), text: 'still chatting' });
	});

	it('a process without the media role has no calls either', async () => {
		const other = await startParley('sqlite', { env: { ROLES: 'gateway,chat' } });
		try {
			expect((await other.request('GET', '/healthz')).body.media).toBe('unavailable');
			const [a] = await people(other, 1);
			expect(await ok(a.socket, 'call:config', {})).toMatchObject({ media: 'unavailable', reason: 'this server does not run the media role' });
			expect(other.parley.media?.live).toBeNull();
			expect(other.parley.media?.liveStreams).toBeNull();
		} finally {
			await other.stop();
		}
	});
});
