import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilesListResponse } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { ok, people } from '../helpers/chat.js';
import { create, download, sha256, upload } from '../helpers/files.js';
import { befriendAll, createGroup, getThread, groupEvents } from '../helpers/groups.js';
import { startParley, type TestParley } from '../helpers/parley.js';

/** Uploads a group's picture (`purpose: group-avatar`); resolves when done, rejects with the server's answer. */
function uploadGroupAvatar(t: TestParley, token: string, threadId: string, data: Buffer): Promise<void> {
	return new Promise((resolve, reject) => {
		const up = new tus.Upload(data, {
			endpoint: `${t.baseUrl}/files/`,
			headers: { authorization: `Bearer ${token}` },
			metadata: { filename: 'group.png', filetype: 'image/png', purpose: 'group-avatar', threadId },
			retryDelays: [],
			onError: reject,
			onSuccess: () => resolve()
		});
		up.start();
	});
}

// docs/PROTOCOL.md, "Groups": files into a group work as into a pair (tus `threadId`); a member who
// loses membership loses download access to the group's files (other people's; their own stay theirs).
describe.each(backendNames())('group files on %s', (backend) => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 10_000 } } });
	});
	afterAll(async () => t?.stop());

	it('members upload into the group and download each other\'s files; the removed no longer can', async () => {
		const [owner, b, c] = await people(t, 3);
		await befriendAll(owner, [b, c]);
		const thread = await createGroup(owner, [b, c], 'Files');
		const events = [owner, b, c].map((p) => groupEvents(p.socket));
		const bytes = randomBytes(50_000);
		// A member who is not the owner's only friend uploads: every member gets the file message.
		const { fileId } = await upload(t, c.token, bytes, { filename: 'notes.bin', threadId: thread.id });
		for (const e of events) expect((await e.next('message:new', (p) => p.message.kind === 'file')).message).toMatchObject({ threadId: thread.id, senderId: c.user.id, file: { id: fileId } });
		const own = await upload(t, b.token, randomBytes(1000), { filename: 'mine.bin', threadId: thread.id });
		for (const who of [owner, b]) {
			const got = await download(t, who.token, fileId);
			expect(got.status).toBe(200);
			expect(sha256(got.body)).toBe(sha256(bytes));
		}
		const listed = await t.request<FilesListResponse>('GET', '/api/files', { token: b.token });
		expect(listed.status).toBe(200);
		expect(listed.body.files.map((f) => f.id)).toContain(fileId);

		await ok(owner.socket, 'groups:remove', { threadId: thread.id, userId: b.user.id });
		expect((await download(t, b.token, fileId)).status).toBe(404);
		const after = await t.request<FilesListResponse>('GET', '/api/files', { token: b.token });
		expect(after.body.files.map((f) => f.id)).not.toContain(fileId);
		// Their own upload is still theirs; the others keep it as a file of the group.
		expect((await download(t, b.token, own.fileId)).status).toBe(200);
		expect((await download(t, owner.token, own.fileId)).status).toBe(200);
		// And they cannot post into the group any more.
		await expect(upload(t, b.token, randomBytes(100), { filename: 'late.bin', threadId: thread.id })).rejects.toThrow(/404/);
		expect((await download(t, owner.token, fileId)).status).toBe(200);
	});

	it('owner and admins set the group picture (purpose group-avatar): an avatar line, thread:updated with avatarUrl; members may not', async () => {
		const [owner, b, c] = await people(t, 3);
		await befriendAll(owner, [b, c]);
		const thread = await createGroup(owner, [b, c], 'Pictures');
		const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 10, g: 120, b: 200 } } }).png().toBuffer();
		const eb = groupEvents(b.socket);
		await uploadGroupAvatar(t, owner.token, thread.id, png);
		const updated = await eb.next('thread:updated', (p) => p.thread.avatarUrl !== null);
		expect(updated.thread.avatarUrl).toMatch(/^\/files\/avatars\/[0-9a-z]+$/);
		expect((await eb.next('message:new', (p) => p.message.kind === 'system' && p.message.seq === 2)).message.system).toMatchObject({ type: 'avatar', actor: { id: owner.user.id } });
		const first = updated.thread.avatarUrl!;
		const got = await fetch(t.baseUrl + first, { headers: { authorization: `Bearer ${b.token}` } });
		expect(got.status).toBe(200);
		expect(got.headers.get('content-type')).toBe('image/webp');
		// Nothing of it is a file.
		expect((await t.request<FilesListResponse>('GET', '/api/files', { token: owner.token })).body.files).toEqual([]);

		// A member is refused before any byte (403), an outsider and a private thread are 404, no threadId 400.
		expect((await create(t, b.token, png.length, { filename: 'g.png', filetype: 'image/png', purpose: 'group-avatar', threadId: thread.id })).status).toBe(403);
		const [x] = await people(t, 1);
		expect((await create(t, x.token, png.length, { filename: 'g.png', filetype: 'image/png', purpose: 'group-avatar', threadId: thread.id })).status).toBe(404);
		const pair = (await ok(owner.socket, 'threads:open', { userId: b.user.id })).thread;
		expect((await create(t, owner.token, png.length, { filename: 'g.png', filetype: 'image/png', purpose: 'group-avatar', threadId: pair.id })).status).toBe(404);
		expect((await create(t, owner.token, png.length, { filename: 'g.png', filetype: 'image/png', purpose: 'group-avatar' })).status).toBe(400);
		expect((await getThread(owner.socket, thread.id)).avatarUrl).toBe(first);

		// An admin replaces it: the old picture is gone.
		await ok(owner.socket, 'groups:role', { threadId: thread.id, userId: c.user.id, role: 'admin' });
		await uploadGroupAvatar(t, c.token, thread.id, png);
		const second = (await getThread(b.socket, thread.id)).avatarUrl!;
		expect(second).not.toBe(first);
		expect((await fetch(t.baseUrl + first, { headers: { authorization: `Bearer ${b.token}` } })).status).toBe(404);
		expect((await getThread(b.socket, thread.id)).lastMessage?.text).toMatch(/changed the group picture/);
	});
});
