import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveKeyRegenerateResponse, LiveKeyResponse } from '../../src/lib/protocol/index.js';
import { authenticateStreamKey } from '../../server/live/keys/index.js';
import { replaceKey } from '../../server/live/keys/keys.repository.js';
import { backendNames } from '../helpers/backends.js';
import { device, Events, fails, ok, people, type Person } from '../helpers/chat.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md, "Stream keys": live:key, live:key:regenerate, live:key:delete, and the RTMP
// server's check, authenticateStreamKey, against the real database.
describe.each(backendNames())('stream keys on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { redis: !!process.env.TEST_REDIS, parley: { limits: { codesPerIp: 10_000 }, streamKeyLimits: { regenerationsPerWindow: 4 } } });
	});
	afterAll(async () => t?.stop());

	const authenticate = (key: unknown) => authenticateStreamKey(t.parley.db.db, key);
	const regenerate = (p: Person) => ok<LiveKeyRegenerateResponse>(p.socket, 'live:key:regenerate', {});

	it('regenerate shows the key once; live:key never shows it; the key publishes as its owner', async () => {
		const [a] = await people(t, 1);
		const rtmpUrl = `rtmp://127.0.0.1:1935/live`;
		expect(await ok<LiveKeyResponse>(a.socket, 'live:key', {})).toEqual({ ok: true, key: null, rtmpUrl });
		// A well-formed key nobody holds.
		expect(await authenticate(randomBytes(32).toString('base64url'))).toBeNull();

		const made = await regenerate(a);
		expect(Object.keys(made).sort()).toEqual(['createdAt', 'key', 'ok', 'rtmpUrl']);
		expect(made.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(Buffer.from(made.key, 'base64url')).toHaveLength(32);
		expect(made.rtmpUrl).toBe(rtmpUrl);
		expect(Date.parse(made.createdAt)).toBeGreaterThan(Date.now() - 60_000);

		// From this device and another: the date, never the key.
		for (const socket of [a.socket, await device(t, a)]) {
			const shown = await ok<LiveKeyResponse>(socket, 'live:key', {});
			expect(shown).toEqual({ ok: true, key: { createdAt: made.createdAt }, rtmpUrl });
			expect(JSON.stringify(shown)).not.toContain(made.key);
		}
		expect(await authenticate(made.key)).toEqual({ userId: a.user.id });

		// Stored as its SHA-256 only: no column holds the key.
		const rows = await t.parley.db.db.selectFrom('stream_keys').selectAll().where('user_id', '=', a.user.id).execute();
		expect(rows).toHaveLength(1);
		expect(rows[0].key_hash.trim()).toBe(createHash('sha256').update(made.key).digest('hex'));
		expect(JSON.stringify(rows)).not.toContain(made.key);
	});

	it('regenerate revokes the old key at once; delete revokes the current one and is idempotent', async () => {
		const [a] = await people(t, 1);
		const first = await regenerate(a);
		const second = await regenerate(a);
		expect(second.key).not.toBe(first.key);
		expect(await authenticate(first.key)).toBeNull();
		expect(await authenticate(second.key)).toEqual({ userId: a.user.id });
		expect((await ok<LiveKeyResponse>(a.socket, 'live:key', {})).key).toEqual({ createdAt: second.createdAt });
		expect(await t.parley.db.db.selectFrom('stream_keys').select('user_id').where('user_id', '=', a.user.id).execute()).toHaveLength(1);

		expect(await ok(a.socket, 'live:key:delete', {})).toEqual({ ok: true });
		expect(await authenticate(second.key)).toBeNull();
		expect(await authenticate(first.key)).toBeNull();
		expect((await ok<LiveKeyResponse>(a.socket, 'live:key', {})).key).toBeNull();
		expect(await ok(a.socket, 'live:key:delete', {})).toEqual({ ok: true });

		const third = await regenerate(a);
		expect(await authenticate(third.key)).toEqual({ userId: a.user.id });
	});

	it("regenerate and delete tell the user's other devices (live:key:changed, never the key), not the asking one nor anyone else", async () => {
		const [a, b] = await people(t, 2);
		const phone = await device(t, a);
		const [here, there, other] = [a.socket, phone, b.socket].map((socket) => new Events(socket, ['live:key:changed']));

		const made = await regenerate(a);
		expect(await there.next('live:key:changed')).toEqual({ key: { createdAt: made.createdAt } });
		expect(JSON.stringify(there.log)).not.toContain(made.key);
		expect(await here.none('live:key:changed')).toBe(true);
		expect(await other.none('live:key:changed', () => true, 0)).toBe(true);

		there.clear();
		expect(await ok(phone, 'live:key:delete', {})).toEqual({ ok: true });
		expect(await here.next('live:key:changed')).toEqual({ key: null });
		// Deleting again changes nothing, so tells nobody.
		here.clear();
		expect(await ok(phone, 'live:key:delete', {})).toEqual({ ok: true });
		expect(await here.none('live:key:changed')).toBe(true);
		expect(await there.none('live:key:changed', () => true, 0)).toBe(true);
		expect(other.log).toEqual([]);
		phone.disconnect();
	});

	it('two regenerations at once leave one row and one working key, one of the two answered', async () => {
		const [a] = await people(t, 1);
		const [x, y] = await Promise.all([regenerate(a), regenerate(a)]);
		const working = [await authenticate(x.key), await authenticate(y.key)].filter(Boolean);
		expect(working).toEqual([{ userId: a.user.id }]);
		expect(await t.parley.db.db.selectFrom('stream_keys').select('user_id').where('user_id', '=', a.user.id).execute()).toHaveLength(1);

		// Straight to the repository, past the socket's queue: several first inserts race, and the
		// losers of the insert update the winner's row instead of failing.
		const [b] = await people(t, 1);
		const hashes = Array.from({ length: 6 }, (_, i) => createHash('sha256').update(`race ${b.user.id} ${i}`).digest('hex'));
		await Promise.all(hashes.map((hash) => replaceKey(t.parley.db.db, b.user.id, hash, new Date().toISOString())));
		const rows = await t.parley.db.db.selectFrom('stream_keys').select('key_hash').where('user_id', '=', b.user.id).execute();
		expect(rows).toHaveLength(1);
		expect(hashes).toContain(rows[0].key_hash.trim());
	});

	it("each key maps to its own user only; one user's regenerate or delete leaves another's key working", async () => {
		const [a, b] = await people(t, 2);
		const [ka, kb] = [await regenerate(a), await regenerate(b)];
		expect(await authenticate(ka.key)).toEqual({ userId: a.user.id });
		expect(await authenticate(kb.key)).toEqual({ userId: b.user.id });
		const ka2 = await regenerate(a);
		expect(await authenticate(kb.key)).toEqual({ userId: b.user.id });
		await ok(b.socket, 'live:key:delete', {});
		expect(await authenticate(ka2.key)).toEqual({ userId: a.user.id });
		expect(await authenticate(kb.key)).toBeNull();
		expect((await ok<LiveKeyResponse>(b.socket, 'live:key', {})).key).toBeNull();
	});

	it('refuses malformed keys, including a good key with anything around it', async () => {
		const [a] = await people(t, 1);
		const { key } = await regenerate(a);
		const malformed: unknown[] = [
			undefined,
			null,
			42,
			{ key },
			[key],
			'',
			' ',
			`${key} `,
			` ${key}`,
			`${key}\n`,
			`${key}=`,
			key.slice(0, 42),
			`${key}A`,
			key.toUpperCase() === key ? key.toLowerCase() : key.toUpperCase(),
			`${key.slice(0, 42)}+`,
			`${key.slice(0, 42)}/`,
			`${key.slice(0, 42)}é`,
			"' or 1=1 --",
			createHash('sha256').update(key).digest('hex')
		];
		for (const bad of malformed) expect(await authenticate(bad), JSON.stringify(bad)).toBeNull();
		expect(await authenticate(key)).toEqual({ userId: a.user.id });
	});

	it('bad payloads are refused and change nothing; regenerations are rate-limited', async () => {
		const [a] = await people(t, 1);
		const made = await regenerate(a);
		for (const event of ['live:key', 'live:key:regenerate', 'live:key:delete']) {
			await fails(a.socket, event, { userId: 'someone-else' }, 'invalid_input');
			await fails(a.socket, event, 'x', 'invalid_input');
		}
		expect(await authenticate(made.key)).toEqual({ userId: a.user.id });

		// The limit is 4 a window here (the first above was one): the 5th is refused and keeps the 4th.
		let last = made;
		for (let i = 0; i < 3; i++) last = await regenerate(a);
		const refused = await fails(a.socket, 'live:key:regenerate', {}, 'rate_limited');
		expect(refused.message).toMatch(/stream keys too fast/);
		expect(await authenticate(last.key)).toEqual({ userId: a.user.id });
		expect((await ok<LiveKeyResponse>(a.socket, 'live:key', {})).key).toEqual({ createdAt: last.createdAt });
		// Deleting is not limited: a leaked key can always be revoked.
		await ok(a.socket, 'live:key:delete', {});
		expect(await authenticate(last.key)).toBeNull();
	});
});
