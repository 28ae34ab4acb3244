import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushKeyResponse, Thread } from '../../src/lib/protocol/index.js';
import { topicOf } from '../../server/push/push.service.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, device, fails, ok, people, send, type Person } from '../helpers/chat.js';
import { befriendAll, createGroup } from '../helpers/groups.js';
import { startPushParley, type TestParley } from '../helpers/parley.js';
import { checkVapid, type LoopbackPushService, type TestSubscription } from '../helpers/push.js';

// docs/PROTOCOL.md, "Notifications": Web Push to a real push service on loopback, payloads decrypted
// with the subscription's own keys.
describe.each(backendNames())('web push on %s', (backend) => {
	let t: TestParley;
	let service: LoopbackPushService;
	let publicKey: string;
	let stop: (() => Promise<void>) | undefined;
	beforeAll(async () => {
		({ t, service, stop } = await startPushParley(backend));
	});
	afterAll(() => stop?.());

	/** Waits until every push the server decided on has been sent and answered. */
	const settled = () => t.parley.chat!.push!.idle();

	async function subscribed(p: Person, options: { hidePreviews?: boolean; label?: string } = {}): Promise<TestSubscription> {
		const s = service.subscription();
		publicKey ??= (await ok<PushKeyResponse>(p.socket, 'push:key', {})).publicKey;
		await ok(p.socket, 'push:subscribe', { ...s.toJSON(), label: options.label ?? 'Test browser', hidePreviews: options.hidePreviews });
		return s;
	}

	/** Two friends; `b` subscribed and then offline. */
	async function pairWithOfflineB(options: { hidePreviews?: boolean } = {}): Promise<{ a: Person; b: Person; thread: Thread; sub: TestSubscription }> {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const sub = await subscribed(b, options);
		b.socket.disconnect();
		await expect.poll(async () => (await t.parley.chat!.presence.onlineAmong([b.user.id])).has(b.user.id)).toBe(false);
		return { a, b, thread, sub };
	}

	it('keeps its VAPID keys in DATA_DIR/vapid.json, readable by the owner only, and hands out the public one', async () => {
		const [a] = await people(t, 1);
		const { publicKey: key } = await ok<PushKeyResponse>(a.socket, 'push:key', {});
		const file = path.join(t.parley.config.dataDir, 'vapid.json');
		expect(JSON.parse(fs.readFileSync(file, 'utf8')).publicKey).toBe(key);
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		expect(Buffer.from(key, 'base64url')).toHaveLength(65);
	});

	it('an offline member gets one encrypted push with the sender, the preview and the thread; topic, TTL and urgency set; VAPID signed', async () => {
		const { a, thread, sub } = await pairWithOfflineB();
		await send(a.socket, thread.id, 'Dinner at eight?');
		await settled();
		const pushes = service.to(sub);
		expect(pushes).toHaveLength(1);
		const [push] = pushes;
		expect(JSON.parse(sub.decrypt(push.body))).toEqual({ threadId: thread.id, title: a.user.displayName, body: 'Dinner at eight?' });
		expect(push.headers['content-encoding']).toBe('aes128gcm');
		expect(push.headers.topic).toBe(topicOf(thread.id));
		expect(push.headers.topic!.length).toBeLessThanOrEqual(32);
		expect(push.headers.topic).toMatch(/^[A-Za-z0-9_-]+$/);
		expect(Number(push.headers.ttl)).toBe(86_400);
		expect(push.headers.urgency).toBe('normal');
		checkVapid(push.headers.authorization, publicKey, sub.endpoint);
		// The sender's own devices get nothing (they have no subscription here; b's got exactly one).
		expect(service.received.filter((p) => p.id === sub.id)).toHaveLength(1);
	});

	it('hides the preview for a subscription that asked', async () => {
		const { a, thread, sub } = await pairWithOfflineB({ hidePreviews: true });
		await send(a.socket, thread.id, 'The secret plan');
		await settled();
		expect(JSON.parse(sub.decrypt(service.to(sub)[0].body))).toEqual({ threadId: thread.id, title: a.user.displayName, body: 'New message' });
	});

	it('a member with a visible page gets no push; once every page reports hidden, one', async () => {
		const [a, b] = await people(t, 2);
		const thread = await befriend(a, b);
		const sub = await subscribed(b);
		const b2 = await device(t, b);
		await send(a.socket, thread.id, 'You are here');
		await settled();
		expect(service.to(sub)).toHaveLength(0);
		await ok(b.socket, 'presence:visibility', { hidden: true });
		await send(a.socket, thread.id, 'One tab still visible');
		await settled();
		expect(service.to(sub)).toHaveLength(0);
		await ok(b2, 'presence:visibility', { hidden: true });
		await send(a.socket, thread.id, 'All hidden');
		await settled();
		expect(service.to(sub).map((p) => JSON.parse(sub.decrypt(p.body)).body)).toEqual(['All hidden']);
		await ok(b2, 'presence:visibility', { hidden: false });
		await send(a.socket, thread.id, 'Back');
		await settled();
		expect(service.to(sub)).toHaveLength(1);
		b2.disconnect();
	});

	it('a muted thread gets no push until unmuted; a group pushes to each offline member but the sender', async () => {
		const { a, b, thread, sub } = await pairWithOfflineB();
		const b2 = await device(t, b);
		await ok(b2, 'threads:mute', { threadId: thread.id, until: 'forever' });
		b2.disconnect();
		await expect.poll(async () => (await t.parley.chat!.presence.onlineAmong([b.user.id])).size).toBe(0);
		await send(a.socket, thread.id, 'Muted');
		await settled();
		expect(service.to(sub)).toHaveLength(0);
		const b3 = await device(t, b);
		await ok(b3, 'threads:mute', { threadId: thread.id, until: null });
		b3.disconnect();
		await expect.poll(async () => (await t.parley.chat!.presence.onlineAmong([b.user.id])).size).toBe(0);
		await send(a.socket, thread.id, 'Unmuted');
		await settled();
		expect(service.to(sub)).toHaveLength(1);

		const [owner, c, d] = await people(t, 3);
		await befriendAll(owner, [c, d]);
		const group = await createGroup(owner, [c, d], 'Hikers');
		const [ownerSub, cSub, dSub] = [await subscribed(owner), await subscribed(c), await subscribed(d)];
		c.socket.disconnect();
		d.socket.disconnect();
		await expect.poll(async () => (await t.parley.chat!.presence.onlineAmong([c.user.id, d.user.id])).size).toBe(0);
		owner.socket.disconnect();
		const ownerAgain = await device(t, owner);
		await ok(ownerAgain, 'presence:visibility', { hidden: true });
		await send(ownerAgain, group.id, 'Trail at nine');
		await settled();
		for (const s of [cSub, dSub]) expect(JSON.parse(s.decrypt(service.to(s)[0].body))).toEqual({ threadId: group.id, title: `${owner.user.displayName} in Hikers`, body: 'Trail at nine' });
		expect(service.to(ownerSub)).toHaveLength(0);
		ownerAgain.disconnect();
	});

	it('a subscription the push service calls gone (410, 404) is removed; another error keeps it and never holds up the message', async () => {
		const { a, thread, sub } = await pairWithOfflineB();
		service.answer.set(sub.id, 500);
		await send(a.socket, thread.id, 'Server trouble');
		await settled();
		service.answer.set(sub.id, 410);
		await send(a.socket, thread.id, 'Gone now');
		await settled();
		service.answer.delete(sub.id);
		await send(a.socket, thread.id, 'Nobody hears');
		await settled();
		expect(service.to(sub)).toHaveLength(2);
		const rows = await t.parley.db.db.selectFrom('push_subscriptions').select('id').where('endpoint', '=', sub.endpoint).execute();
		expect(rows).toHaveLength(0);
	});

	it('subscribing again updates the row; unsubscribe stops the pushes; others cannot unsubscribe it', async () => {
		const [a, b, c] = await people(t, 3);
		const thread = await befriend(a, b);
		const sub = await subscribed(b, { label: 'Old name' });
		await subscribed(b, { label: 'Old name' });
		await ok(b.socket, 'push:subscribe', { ...sub.toJSON(), label: 'New name', hidePreviews: true });
		const rows = await t.parley.db.db.selectFrom('push_subscriptions').select(['label', 'hide_previews']).where('endpoint', '=', sub.endpoint).execute();
		expect(rows).toEqual([{ label: 'New name', hide_previews: expect.anything() }]);
		expect(Boolean(rows[0].hide_previews)).toBe(true);
		await fails(c.socket, 'push:unsubscribe', { endpoint: sub.endpoint }, 'not_found');
		await ok(b.socket, 'push:unsubscribe', { endpoint: sub.endpoint });
		await fails(b.socket, 'push:unsubscribe', { endpoint: sub.endpoint }, 'not_found');
		b.socket.disconnect();
		await expect.poll(async () => (await t.parley.chat!.presence.onlineAmong([b.user.id])).size).toBe(0);
		await send(a.socket, thread.id, 'Unheard');
		await settled();
		expect(service.to(sub)).toHaveLength(0);
	});

	it('refuses malformed subscriptions and visibility reports with the field named, storing nothing', async () => {
		const [a] = await people(t, 1);
		const good = service.subscription().toJSON();
		const bad: Array<[unknown, string]> = [
			[{ ...good, label: 'x', endpoint: 'not a url' }, 'endpoint'],
			[{ ...good, label: 'x', endpoint: 'ftp://push.example/1' }, 'endpoint'],
			[{ ...good, label: 'x', endpoint: 'https://x/' + 'a'.repeat(2001) }, 'endpoint'],
			[{ ...good, label: 'x', keys: { p256dh: 'short', auth: good.keys.auth } }, 'keys.p256dh'],
			[{ ...good, label: 'x', keys: { p256dh: good.keys.p256dh, auth: 'has spaces in it!!' } }, 'keys.auth'],
			[{ ...good, label: 'x', keys: 'k' }, 'keys'],
			[{ ...good, label: '' }, 'label'],
			[{ ...good, label: 'x'.repeat(101) }, 'label'],
			[{ ...good, label: 'x', hidePreviews: 'yes' }, 'hidePreviews'],
			[{ ...good, label: 'x', extra: true }, ''],
			[null, '']
		];
		for (const [payload, field] of bad) {
			const error = await fails(a.socket, 'push:subscribe', payload, 'invalid_input');
			if (field) expect(Object.keys(error.fields ?? {}), JSON.stringify(payload)).toContain(field);
		}
		const count = await t.parley.db.db.selectFrom('push_subscriptions').select('id').where('user_id', '=', a.user.id).execute();
		expect(count).toHaveLength(0);
		await fails(a.socket, 'presence:visibility', { hidden: 'yes' }, 'invalid_input');
		await fails(a.socket, 'push:unsubscribe', { endpoint: 5 }, 'invalid_input');
	});
});
