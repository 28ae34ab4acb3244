import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVATAR_LIMITS, type FilesListResponse, type Thread, type UserCard } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, Events, ok, person, type Person } from '../helpers/chat.js';
import { create, metadataHeader, raw, uploadAvatar } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Avatars (docs/PROTOCOL.md extension): a tus upload with `purpose: avatar` becomes the uploader's
// picture, announced to friends and own devices with user:updated, served as a 512 px WebP square.

async function getAvatar(t: TestParley, url: string, token?: string) {
	const res = await fetch(t.baseUrl + url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
	return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

describe.each(backendNames())('avatars (%s)', (backend) => {
	let t: TestParley;
	let alice: Person;
	let bob: Person;
	let carol: Person;
	let thread: Thread;
	let wide: Buffer;
	let first: string;

	beforeAll(async () => {
		t = await startParley(backend);
		[alice, bob, carol] = await Promise.all([person(t), person(t), person(t)]);
		thread = await befriend(alice, bob);
		// Not square, so the stored square shows the server made one.
		wide = await sharp({ create: { width: 900, height: 500, channels: 3, background: { r: 30, g: 120, b: 200 } } })
			.png()
			.toBuffer();
	});
	afterAll(async () => t?.stop());

	it('has no picture at first: avatarUrl null on /api/me and on cards', async () => {
		const me = await t.request('GET', '/api/me', { token: alice.token });
		expect(me.body.user.avatarUrl).toBeNull();
		const { users } = await ok<{ users: UserCard[] }>(bob.socket, 'users:get', { userIds: [alice.user.id] });
		expect(users[0].avatarUrl).toBeNull();
	});

	it('an image sets the picture: friends and own devices get user:updated with its URL; it is a 512 px WebP square', async () => {
		const events = { alice: new Events(alice.socket, ['user:updated']), bob: new Events(bob.socket, ['user:updated']), carol: new Events(carol.socket, ['user:updated']) };
		await uploadAvatar(t, alice.token, wide);
		const me = await t.request('GET', '/api/me', { token: alice.token });
		first = me.body.user.avatarUrl;
		expect(first).toMatch(/^\/files\/avatars\/[0-9a-z]{20}$/);
		for (const who of [events.alice, events.bob]) {
			const { user } = await who.next('user:updated', (p) => p.user.id === alice.user.id);
			expect(user).toMatchObject({ id: alice.user.id, avatarUrl: first });
		}
		expect(await events.carol.none('user:updated')).toBe(true);

		// Cards everywhere carry it: users:get, the friend list, the thread's members.
		const { users } = await ok<{ users: UserCard[] }>(carol.socket, 'users:get', { userIds: [alice.user.id] });
		expect(users[0].avatarUrl).toBe(first);
		const { thread: seen } = await ok<{ thread: Thread }>(bob.socket, 'threads:get', { threadId: thread.id });
		expect(seen.members.find((m) => m.id === alice.user.id)?.avatarUrl).toBe(first);
		const { friends } = await ok<{ friends: Array<{ user: UserCard }> }>(bob.socket, 'friends:list', {});
		expect(friends.find((f) => f.user.id === alice.user.id)?.user.avatarUrl).toBe(first);

		// Anyone signed in may fetch it (strangers see it on search cards); cached for good.
		const got = await getAvatar(t, first, carol.token);
		expect(got.status).toBe(200);
		expect(got.headers.get('content-type')).toBe('image/webp');
		expect(got.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
		expect(await sharp(got.body).metadata()).toMatchObject({ format: 'webp', width: AVATAR_LIMITS.px, height: AVATAR_LIMITS.px });
		// The cookie works too (an <img> sends it).
		const byCookie = await fetch(t.baseUrl + first, { headers: { cookie: `parley_session=${bob.token}` } });
		expect(byCookie.status).toBe(200);

		// The upload is gone: it is no file, and no bytes are left under tus/.
		const list = await t.request<FilesListResponse>('GET', '/api/files', { token: alice.token });
		expect(list.body.files).toEqual([]);
		const tusDir = path.join(t.parley.config.uploadDir, 'tus');
		expect(fs.readdirSync(tusDir).filter((n) => n.startsWith(alice.user.id))).toEqual([]);
	});

	it('anonymous requests get 401: the picture, removing it, uploading one', async () => {
		expect((await getAvatar(t, first)).status).toBe(401);
		expect((await t.request('DELETE', '/api/me/avatar')).status).toBe(401);
		expect((await create(t, undefined, 100, { filename: 'a.png', purpose: 'avatar' })).status).toBe(401);
	});

	it('a new picture gets a new URL and the old one is gone', async () => {
		const tall = await sharp({ create: { width: 300, height: 700, channels: 4, background: { r: 250, g: 200, b: 0, alpha: 1 } } })
			.jpeg()
			.toBuffer();
		await uploadAvatar(t, alice.token, tall, 'image/jpeg');
		const me = await t.request('GET', '/api/me', { token: alice.token });
		expect(me.body.user.avatarUrl).toMatch(/^\/files\/avatars\//);
		expect(me.body.user.avatarUrl).not.toBe(first);
		expect((await getAvatar(t, first, alice.token)).status).toBe(404);
		const got = await getAvatar(t, me.body.user.avatarUrl, bob.token);
		expect(await sharp(got.body).metadata()).toMatchObject({ width: AVATAR_LIMITS.px, height: AVATAR_LIMITS.px });
		first = me.body.user.avatarUrl;
	});

	// Found by the authorization matrix's set-up (issue 16): a picture sent in its creation request
	// (creation-with-upload) was set, but the POST answered 404 `no such upload`, as tus looked the
	// finished upload up again for Upload-Expires after it had been removed.
	it('a picture sent in its creation request (creation-with-upload) answers 201 and is set', async () => {
		const small = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer();
		const res = await raw(t, 'POST', '/files/', {
			token: alice.token,
			body: small,
			headers: { 'tus-resumable': '1.0.0', 'upload-length': String(small.length), 'upload-metadata': metadataHeader({ filename: 'me.png', filetype: 'image/png', purpose: 'avatar' }), 'content-type': 'application/offset+octet-stream' }
		});
		expect(res.status, res.text).toBe(201);
		expect(res.headers.get('upload-offset')).toBe(String(small.length));
		expect(res.headers.get('upload-expires')).toBeNull();
		const me = await t.request('GET', '/api/me', { token: alice.token });
		expect(me.body.user.avatarUrl).not.toBe(first);
		expect((await getAvatar(t, me.body.user.avatarUrl, bob.token)).status).toBe(200);
		first = me.body.user.avatarUrl;
	});

	it('a non-image is refused with 415 and changes nothing, whatever type it claims', async () => {
		const events = new Events(bob.socket, ['user:updated']);
		const text = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'.repeat(20));
		const error = await uploadAvatar(t, alice.token, text, 'image/png').then(
			() => undefined,
			(e: tus.DetailedError) => e
		);
		expect(error, 'the upload should have failed').toBeDefined();
		expect(error!.originalResponse?.getStatus()).toBe(415);
		expect(JSON.parse(error!.originalResponse!.getBody()).error.code).toBe('unsupported_media_type');
		// Declared as something else, it is refused at creation before any byte is sent.
		const declared = await create(t, alice.token, 100, { filename: 'a.txt', filetype: 'text/plain', purpose: 'avatar' });
		expect(declared.status).toBe(415);
		expect(declared.json.error.message).toMatch(/must be an image/);
		expect((await t.request('GET', '/api/me', { token: alice.token })).body.user.avatarUrl).toBe(first);
		expect((await getAvatar(t, first, alice.token)).status).toBe(200);
		// The previous test's own announcement may still be on its way (it carries `first`): none other.
		expect(await events.none('user:updated', (p) => p.user.avatarUrl !== first)).toBe(true);
		const tusDir = path.join(t.parley.config.uploadDir, 'tus');
		expect(fs.readdirSync(tusDir).filter((n) => n.startsWith(alice.user.id))).toEqual([]);
	});

	it('over 10 MiB is refused at creation (413); an avatar sent into a thread is refused (400)', async () => {
		const big = await create(t, alice.token, AVATAR_LIMITS.maxBytes + 1, { filename: 'big.png', filetype: 'image/png', purpose: 'avatar' });
		expect(big.status).toBe(413);
		expect(big.json.error.code).toBe('payload_too_large');
		expect(big.json.error.message).toMatch(/10 MiB/);
		const inThread = await create(t, alice.token, 100, { filename: 'a.png', purpose: 'avatar', threadId: thread.id });
		expect(inThread.status).toBe(400);
		expect(inThread.json.error.code).toBe('invalid_input');
		const unknown = await create(t, alice.token, 100, { filename: 'a.png', purpose: 'banner' });
		expect(unknown.status).toBe(400);
		expect((await t.request('GET', '/api/me', { token: alice.token })).body.user.avatarUrl).toBe(first);
	});

	it('DELETE /api/me/avatar removes it: initials again everywhere, friends told, the picture gone', async () => {
		const events = new Events(bob.socket, ['user:updated']);
		const res = await t.request('DELETE', '/api/me/avatar', { token: alice.token });
		expect(res.status).toBe(200);
		expect(res.body.user).toMatchObject({ id: alice.user.id, avatarUrl: null });
		const { user } = await events.next('user:updated', (p) => p.user.id === alice.user.id);
		expect(user.avatarUrl).toBeNull();
		expect((await getAvatar(t, first, alice.token)).status).toBe(404);
		const { users } = await ok<{ users: UserCard[] }>(carol.socket, 'users:get', { userIds: [alice.user.id] });
		expect(users[0].avatarUrl).toBeNull();
		// Removing none is no error.
		expect((await t.request('DELETE', '/api/me/avatar', { token: alice.token })).status).toBe(200);
	});

	it('the avatar directory holds only the live pictures', async () => {
		await uploadAvatar(t, bob.token, wide);
		const dir = path.join(t.parley.config.uploadDir, 'avatars');
		expect(fs.readdirSync(dir)).toHaveLength(1);
		expect((await raw(t, 'GET', '/files/avatars/../tus', { token: bob.token })).status).toBe(404);
	});
});
