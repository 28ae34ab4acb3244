import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileInfo, FilesListResponse, Message, Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, Events, fails, ok, person, type Person } from '../helpers/chat.js';
import { create, download, patch, sha256, upload } from '../helpers/files.js';
import { befriendAll, createGroup, history } from '../helpers/groups.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// docs/PROTOCOL.md "Sending a file you have": `messages:send` with `fileId`.
describe.each(backendNames())('files: sending a file you have to chats (%s)', (backend) => {
	let t: TestParley;
	let alice: Person;
	let bob: Person;
	let carol: Person;
	let dave: Person;
	let eve: Person;
	let withBob: Thread;
	let team: Thread;
	const bytes = randomBytes(50_000);
	let fileId: string;
	let toBob: Message;
	let toTeam: Message;

	const listOf = async (who: Person) => (await t.request<FilesListResponse>('GET', '/api/files?limit=100', { token: who.token })).body.files;
	const listed = async (who: Person, id: string): Promise<FileInfo | undefined> => (await listOf(who)).find((f) => f.id === id);
	const sendFile = (who: Person, threadId: string, id: string, cid = clientId()) => ok<{ message: Message }>(who.socket, 'messages:send', { threadId, clientId: cid, fileId: id });

	beforeAll(async () => {
		// With Redis the per-address code limit is shared by every run on this machine.
		t = await startParley(backend, { redis: !!process.env.TEST_REDIS && process.env.TEST_REDIS !== '0', parley: { limits: { codesPerIp: 10_000 } } });
		[alice, bob, carol, dave, eve] = await Promise.all([person(t, { displayName: 'Alice' }), person(t, { displayName: 'Bob' }), person(t), person(t), person(t)]);
		withBob = await befriend(alice, bob);
		await befriendAll(alice, [carol, dave]);
		team = await createGroup(alice, [carol, dave], 'Team');
		fileId = (await upload(t, alice.token, bytes, { filename: 'plan.pdf' })).fileId;
	});
	afterAll(async () => t?.stop());

	it('a file uploaded on the Files page is nobody else’s until sent; the list says it was sent nowhere', async () => {
		expect((await download(t, bob.token, fileId)).status).toBe(404);
		expect(await listed(alice, fileId)).toMatchObject({ direction: 'sent', threadId: null, sentTo: [] });
		expect(await listed(bob, fileId)).toBeUndefined();
	});

	it('sent to a private chat, it is a file message there; the other person gets it and can download it', async () => {
		const heard = new Events(bob.socket, ['message:new']);
		const cid = clientId();
		({ message: toBob } = await sendFile(alice, withBob.id, fileId, cid));
		const ref = { id: fileId, name: 'plan.pdf', size: bytes.length, type: 'application/octet-stream' };
		expect(toBob).toMatchObject({ threadId: withBob.id, senderId: alice.user.id, clientId: cid, kind: 'file', file: ref });
		expect(toBob.text).toBeUndefined();
		expect((await heard.next('message:new')).message).toEqual(toBob);
		const got = await download(t, bob.token, fileId);
		expect(got.status).toBe(200);
		expect(sha256(got.body)).toBe(sha256(bytes));
		// Resending with the same clientId answers the first message and stores nothing.
		expect((await sendFile(alice, withBob.id, fileId, cid)).message).toEqual(toBob);
		expect(await history(bob.socket, withBob.id)).toEqual([toBob]);
		expect(await listed(bob, fileId)).toMatchObject({ direction: 'received', owner: { id: alice.user.id } });
		expect((await listed(bob, fileId))?.sentTo).toBeUndefined();
	});

	it('the same file to a group as well: one file, two messages; every member downloads it; the list names both chats', async () => {
		({ message: toTeam } = await sendFile(alice, team.id, fileId));
		expect(toTeam).toMatchObject({ threadId: team.id, kind: 'file', file: { id: fileId } });
		for (const who of [carol, dave, bob]) expect((await download(t, who.token, fileId)).status).toBe(200);
		expect((await download(t, eve.token, fileId)).status).toBe(404);
		expect((await listed(alice, fileId))?.sentTo).toEqual([
			{ threadId: withBob.id, kind: 'private', name: 'Bob' },
			{ threadId: team.id, kind: 'group', name: 'Team' }
		]);
		expect(await listed(dave, fileId)).toMatchObject({ direction: 'received' });
		const rows = await t.parley.db.db.selectFrom('files').select('id').where('id', '=', fileId).execute();
		expect(rows).toHaveLength(1);
	});

	it('refused, with nothing stored: someone else’s file, an unknown id, an unfinished upload, a thread you are not in, a blocked contact', async () => {
		const before = await history(alice.socket, withBob.id);
		// Bob sees the file (it was sent to him) but did not upload it.
		const notYours = await fails(bob.socket, 'messages:send', { threadId: withBob.id, clientId: clientId(), fileId }, 'forbidden');
		expect(notYours.message).toBe(`file "${fileId}" is not yours: only the person who uploaded it can send it to a chat`);
		// Eve cannot see it at all: as if it did not exist.
		const eveAndBob = await befriend(eve, bob);
		expect((await fails(eve.socket, 'messages:send', { threadId: eveAndBob.id, clientId: clientId(), fileId }, 'not_found')).message).toBe(
			`file "${fileId}" not found: no finished upload of yours has this id`
		);
		expect((await fails(alice.socket, 'messages:send', { threadId: withBob.id, clientId: clientId(), fileId: 'nosuchfile' }, 'not_found')).message).toBe(
			'file "nosuchfile" not found: no finished upload of yours has this id'
		);
		// An upload with half its bytes: its file id (in its record) names no file yet.
		const created = await create(t, alice.token, 1000, { filename: 'half.bin' });
		expect(created.status).toBe(201);
		const location = created.headers.get('location')!;
		expect((await patch(t, alice.token, location, 0, randomBytes(500))).status).toBe(204);
		const uploadId = location.split('/').at(-1)!;
		const record = JSON.parse(fs.readFileSync(path.join(t.parley.config.uploadDir, 'tus', `${uploadId}.json`), 'utf8')) as { metadata: { fileId: string } };
		const unfinished = record.metadata.fileId;
		expect(unfinished).toMatch(/^[0-9a-z]+$/);
		expect((await fails(alice.socket, 'messages:send', { threadId: withBob.id, clientId: clientId(), fileId: unfinished }, 'not_found')).message).toBe(
			`file "${unfinished}" not found: no finished upload of yours has this id`
		);
		// A thread of other people's.
		expect((await fails(alice.socket, 'messages:send', { threadId: eveAndBob.id, clientId: clientId(), fileId }, 'not_found')).message).toBe(`thread "${eveAndBob.id}" not found`);
		// Text and a file at once, or neither.
		await fails(alice.socket, 'messages:send', { threadId: withBob.id, clientId: clientId(), fileId, text: 'hi' }, 'invalid_input');
		await fails(alice.socket, 'messages:send', { threadId: withBob.id, clientId: clientId() }, 'invalid_input');
		expect(await history(alice.socket, withBob.id)).toEqual(before);
		// Blocked: Dave blocks Alice; her file does not reach their private chat.
		const withDave = (await ok<{ thread: Thread }>(alice.socket, 'threads:open', { userId: dave.user.id })).thread;
		await ok(dave.socket, 'users:block', { userId: alice.user.id });
		await fails(alice.socket, 'messages:send', { threadId: withDave.id, clientId: clientId(), fileId }, 'forbidden');
		expect(await history(dave.socket, withDave.id)).toEqual([]);
		expect((await listed(alice, fileId))?.sentTo?.map((c) => c.threadId)).toEqual([withBob.id, team.id]);
	});

	it('deleting one message keeps the file for the other chat; a Files-page upload outlives its last message', async () => {
		await ok(alice.socket, 'messages:delete', { threadId: withBob.id, seq: toBob.seq });
		expect((await download(t, carol.token, fileId)).status).toBe(200);
		// Bob's only way to it was that message.
		expect((await download(t, bob.token, fileId)).status).toBe(404);
		expect((await listed(alice, fileId))?.sentTo).toEqual([{ threadId: team.id, kind: 'group', name: 'Team' }]);
		await ok(alice.socket, 'messages:delete', { threadId: team.id, seq: toTeam.seq });
		expect((await download(t, carol.token, fileId)).status).toBe(404);
		const got = await download(t, alice.token, fileId);
		expect(got.status).toBe(200);
		expect(sha256(got.body)).toBe(sha256(bytes));
		expect(await listed(alice, fileId)).toMatchObject({ sentTo: [] });
	});

	it('a file uploaded into a chat and sent on to another goes with the last message that carries it', async () => {
		const photo = randomBytes(20_000);
		const { fileId: inChat } = await upload(t, alice.token, photo, { filename: 'notes.txt', threadId: withBob.id });
		const first = (await history(alice.socket, withBob.id)).at(-1)!;
		expect(first).toMatchObject({ kind: 'file', file: { id: inChat } });
		const { message: again } = await sendFile(alice, team.id, inChat);
		await ok(alice.socket, 'messages:delete', { threadId: withBob.id, seq: first.seq });
		expect((await download(t, dave.token, inChat)).status).toBe(200);
		await ok(alice.socket, 'messages:delete', { threadId: team.id, seq: again.seq });
		expect((await download(t, alice.token, inChat)).status).toBe(404);
		expect(await listed(alice, inChat)).toBeUndefined();
	});

	it('the owner deleting a file sent to two chats tells both', async () => {
		const { fileId: twice } = await upload(t, alice.token, randomBytes(1000), { filename: 'twice.bin' });
		await sendFile(alice, withBob.id, twice);
		await sendFile(alice, team.id, twice);
		const heard = { bob: new Events(bob.socket, ['file:deleted']), carol: new Events(carol.socket, ['file:deleted']) };
		expect((await t.request('DELETE', `/api/files/${twice}`, { token: alice.token })).status).toBe(204);
		expect(await heard.bob.next('file:deleted')).toEqual({ fileId: twice, threadId: withBob.id });
		expect(await heard.carol.next('file:deleted')).toEqual({ fileId: twice, threadId: team.id });
		const shown = (await history(bob.socket, withBob.id)).filter((m) => m.file?.id === twice);
		expect(shown.map((m) => m.file)).toEqual([{ id: twice, deleted: true }]);
	});
});
