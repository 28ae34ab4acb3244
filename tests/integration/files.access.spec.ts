import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileInfo, FilesListResponse, Message, Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, Events, ok, person, type Person } from '../helpers/chat.js';
import { create, download, sha256, upload } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const QUOTA = 4 * 1024 * 1024;

describe.each(backendNames())('files: who sees what, downloads, lists and deletes (%s)', (backend) => {
	let t: TestParley;
	let alice: Person;
	let bob: Person;
	let carol: Person;
	let thread: Thread;
	let image: Buffer;
	let photo: { fileId: string };
	const blob = randomBytes(100_000);
	let blobId: string;

	beforeAll(async () => {
		t = await startParley(backend, { env: { UPLOAD_QUOTA_BYTES: String(QUOTA) } });
		[alice, bob, carol] = await Promise.all([person(t), person(t), person(t)]);
		thread = await befriend(alice, bob);
		image = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 200, g: 30, b: 60 } } })
			.png()
			.toBuffer();
	});
	afterAll(async () => t?.stop());

	it('an upload into a thread is a file message on every member’s devices, with its ref', async () => {
		const events = { alice: new Events(alice.socket, ['message:new']), bob: new Events(bob.socket, ['message:new']) };
		// The name and declared type lie; the bytes are what counts.
		photo = await upload(t, alice.token, image, { filename: 'Holiday photo.html', filetype: 'text/html', threadId: thread.id });
		const expected = { id: photo.fileId, name: 'Holiday photo.html', size: image.length, type: 'image/png', width: 800, height: 600, thumbnail: true };
		for (const who of [events.alice, events.bob]) {
			const { message } = await who.next('message:new', (p) => p.message.kind === 'file');
			expect(message).toMatchObject({ threadId: thread.id, senderId: alice.user.id, kind: 'file', clientId: photo.fileId, file: expected });
			expect(message.text).toBeUndefined();
		}
		const { messages } = await ok<{ messages: Message[] }>(bob.socket, 'messages:list', { threadId: thread.id });
		expect(messages.at(-1)).toMatchObject({ kind: 'file', file: expected });
		const { thread: seen } = await ok<{ thread: Thread }>(bob.socket, 'threads:get', { threadId: thread.id });
		expect(seen.lastMessage).toMatchObject({ kind: 'file', file: expected });
	});

	it('the owner and thread members download the same bytes; strangers get 404, nobody signed in 401', async () => {
		for (const who of [alice, bob]) {
			const got = await download(t, who.token, photo.fileId);
			expect(got.status).toBe(200);
			expect(sha256(got.body)).toBe(sha256(image));
			expect(got.headers.get('content-type')).toBe('image/png');
			expect(got.headers.get('x-content-type-options')).toBe('nosniff');
			expect(got.headers.get('content-disposition')).toBe(`attachment; filename="Holiday photo.html"; filename*=UTF-8''Holiday%20photo.html`);
			expect(got.headers.get('cache-control')).toMatch(/^private/);
			expect(got.headers.get('accept-ranges')).toBe('bytes');
		}
		const stranger = await download(t, carol.token, photo.fileId);
		expect(stranger.status).toBe(404);
		expect(JSON.parse(stranger.body.toString())).toEqual({ error: { code: 'not_found', message: `file "${photo.fileId}" not found` } });
		expect((await download(t, undefined, photo.fileId)).status).toBe(401);
		expect((await download(t, carol.token, 'nosuchfile')).status).toBe(404);
		// The same with the session cookie instead of a bearer token.
		const byCookie = await fetch(`${t.baseUrl}/files/${photo.fileId}`, { headers: { cookie: `parley_session=${bob.token}` } });
		expect(byCookie.status).toBe(200);
	});

	it('thumbnails: a small WebP, inline, for the same people', async () => {
		const res = await fetch(`${t.baseUrl}/files/${photo.fileId}/thumbnail`, { headers: { authorization: `Bearer ${bob.token}` } });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('image/webp');
		expect(res.headers.get('content-disposition')).toBeNull();
		const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
		expect(meta).toMatchObject({ format: 'webp', width: 320, height: 240 });
		expect((await fetch(`${t.baseUrl}/files/${photo.fileId}/thumbnail`, { headers: { authorization: `Bearer ${carol.token}` } })).status).toBe(404);
	});

	it('what a browser could run or render (SVG, XML, XHTML, Flash, script types) is stored and served as octet-stream, attached', async () => {
		// Two people of their own: the lists the other tests check stay as they were.
		const [dave, erin] = await Promise.all([person(t), person(t)]);
		const theirs = await befriend(dave, erin);
		const svg = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
		const cases: Array<{ name: string; bytes: Buffer; filetype?: string }> = [
			{ name: 'sniffed.svg', bytes: Buffer.from(svg), filetype: 'image/svg+xml' },
			{ name: 'bare.svg', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), filetype: 'image/svg+xml' },
			{ name: 'page.xhtml', bytes: Buffer.from('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>') },
			{ name: 'movie.swf', bytes: Buffer.concat([Buffer.from('FWS\x08'), randomBytes(64)]) },
			...['application/x-javascript', 'text/x-javascript', 'application/x-ecmascript', 'text/jscript', 'multipart/x-mixed-replace', 'application/x-shockwave-flash'].map((filetype) => ({ name: 'script.js', bytes: Buffer.from('alert(1)'), filetype }))
		];
		for (const { name, bytes, filetype } of cases) {
			const { fileId } = await upload(t, dave.token, bytes, { filename: name, filetype, threadId: theirs.id });
			const got = await download(t, erin.token, fileId);
			expect(got.headers.get('content-type'), `${name} ${filetype}`).toBe('application/octet-stream');
			expect(got.headers.get('content-disposition'), name).toMatch(/^attachment; /);
			expect(sha256(got.body)).toBe(sha256(bytes));
			const listed = (await t.request<FilesListResponse>('GET', `/api/files?q=${encodeURIComponent(name)}&limit=100`, { token: dave.token })).body.files.find((f) => f.id === fileId);
			expect(listed?.type, `${name} ${filetype}`).toBe('application/octet-stream');
		}
		// A row stored with such a type before (this check came later) is not served as it either.
		const { fileId } = await upload(t, dave.token, Buffer.from(svg), { filename: 'old.svg' });
		await t.parley.db.db.updateTable('files').set({ type: 'image/svg+xml' }).where('id', '=', fileId).execute();
		const old = await download(t, dave.token, fileId);
		expect(old.headers.get('content-type')).toBe('application/octet-stream');
		expect(old.headers.get('content-disposition')).toMatch(/^attachment; filename="old.svg"/);
	});

	it('Range gives the exact bytes (first, middle, open, suffix); 416 outside; several ranges get it all', async () => {
		blobId = (await upload(t, alice.token, blob, { filename: 'blob.bin' })).fileId;
		const cases: Array<[string, number, number]> = [
			['bytes=0-99', 0, 99],
			['bytes=1000-1999', 1000, 1999],
			['bytes=99990-', 99_990, 99_999],
			['bytes=-100', 99_900, 99_999],
			['bytes=99000-200000', 99_000, 99_999]
		];
		for (const [range, start, end] of cases) {
			const got = await download(t, alice.token, blobId, { range });
			expect(got.status, range).toBe(206);
			expect(got.headers.get('content-range')).toBe(`bytes ${start}-${end}/100000`);
			expect(got.headers.get('content-length')).toBe(String(end - start + 1));
			expect(got.body.equals(blob.subarray(start, end + 1)), range).toBe(true);
		}
		for (const range of ['bytes=100000-', 'bytes=200000-300000', 'bytes=-0']) {
			const got = await download(t, alice.token, blobId, { range });
			expect(got.status, range).toBe(416);
			expect(got.headers.get('content-range')).toBe('bytes */100000');
			expect(JSON.parse(got.body.toString()).error.code).toBe('range_not_satisfiable');
		}
		for (const range of ['bytes=0-1,5-6', 'items=0-5', 'bytes=9-3']) {
			const got = await download(t, alice.token, blobId, { range });
			expect(got.status, range).toBe(200);
			expect(got.body.equals(blob)).toBe(true);
		}
	});

	it('ETag (the sha256) gives 304 on If-None-Match; If-Range honours Range only while it matches; HEAD has no body', async () => {
		const etag = `"${sha256(blob)}"`;
		const full = await download(t, alice.token, blobId);
		expect(full.headers.get('etag')).toBe(etag);
		const again = await download(t, alice.token, blobId, { 'if-none-match': etag });
		expect(again.status).toBe(304);
		expect(again.body.length).toBe(0);
		expect((await download(t, alice.token, blobId, { 'if-none-match': `W/${etag}` })).status).toBe(304);
		expect((await download(t, alice.token, blobId, { 'if-none-match': '"other"' })).status).toBe(200);
		expect((await download(t, alice.token, blobId, { range: 'bytes=0-9', 'if-range': etag })).status).toBe(206);
		const changed = await download(t, alice.token, blobId, { range: 'bytes=0-9', 'if-range': '"something-else"' });
		expect(changed.status).toBe(200);
		expect(changed.body.length).toBe(100_000);
		const head = await fetch(`${t.baseUrl}/files/${blobId}`, { method: 'HEAD', headers: { authorization: `Bearer ${alice.token}` } });
		expect(head.status).toBe(200);
		expect(head.headers.get('content-length')).toBe('100000');
		expect(head.headers.get('etag')).toBe(etag);
		expect((await head.arrayBuffer()).byteLength).toBe(0);
	});

	it('GET /api/files: sent and received, sortable, searchable, in pages', async () => {
		const names = ['b 100%.txt', 'A_note.TXT', 'c.txt'];
		for (const [i, name] of names.entries()) await upload(t, bob.token, Buffer.alloc(10 + i * 10, 7), { filename: name, filetype: 'text/plain', threadId: thread.id });
		const all = (await t.request<FilesListResponse>('GET', '/api/files', { token: alice.token })).body;
		expect(all.nextCursor).toBeNull();
		expect(all.files.map((f) => f.name)).toEqual(['c.txt', 'A_note.TXT', 'b 100%.txt', 'blob.bin', 'Holiday photo.html']);
		const byDirection = Object.fromEntries(all.files.map((f) => [f.name, f.direction]));
		expect(byDirection).toMatchObject({ 'c.txt': 'received', 'blob.bin': 'sent', 'Holiday photo.html': 'sent' });
		const c = all.files.find((f) => f.name === 'c.txt')!;
		expect(c).toMatchObject({ size: 30, type: 'text/plain', threadId: thread.id, owner: { id: bob.user.id, username: bob.user.username }, thumbnail: false });
		// Bob sees alice's files in their thread as received; carol sees nothing of theirs.
		const bobs = (await t.request<FilesListResponse>('GET', '/api/files', { token: bob.token })).body.files;
		expect(bobs.find((f) => f.id === photo.fileId)?.direction).toBe('received');
		expect(bobs.find((f) => f.id === blobId)).toBeUndefined();
		expect((await t.request<FilesListResponse>('GET', '/api/files', { token: carol.token })).body.files).toEqual([]);

		const sorted = async (query: string) => (await t.request<FilesListResponse>('GET', `/api/files?${query}`, { token: alice.token })).body.files.map((f: FileInfo) => f.name);
		expect(await sorted('sort=name')).toEqual(['A_note.TXT', 'b 100%.txt', 'blob.bin', 'c.txt', 'Holiday photo.html']);
		expect(await sorted('sort=name&order=desc')).toEqual(['Holiday photo.html', 'c.txt', 'blob.bin', 'b 100%.txt', 'A_note.TXT']);
		expect(await sorted('sort=size')).toEqual(['blob.bin', 'Holiday photo.html', 'c.txt', 'A_note.TXT', 'b 100%.txt']);
		expect((await sorted('sort=type')).slice(0, 2)).toEqual(['blob.bin', 'Holiday photo.html']);
		expect(await sorted('q=NOTE')).toEqual(['A_note.TXT']);
		expect(await sorted('q=100%25')).toEqual(['b 100%.txt']);
		expect(await sorted('q=_')).toEqual(['A_note.TXT']);
		expect(await sorted('q=nothing-like-this')).toEqual([]);

		for (const sort of ['date', 'name', 'size', 'type']) {
			for (const order of ['asc', 'desc']) {
				const seen: string[] = [];
				let cursor: string | null = null;
				do {
					const page: FilesListResponse = (await t.request<FilesListResponse>('GET', `/api/files?sort=${sort}&order=${order}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: alice.token })).body;
					expect(page.files.length).toBeLessThanOrEqual(2);
					seen.push(...page.files.map((f) => f.id));
					cursor = page.nextCursor;
				} while (cursor);
				expect(seen, `${sort} ${order}`).toEqual((await t.request<FilesListResponse>('GET', `/api/files?sort=${sort}&order=${order}`, { token: alice.token })).body.files.map((f) => f.id));
			}
		}
		for (const query of ['sort=colour', 'order=up', 'limit=0', 'limit=101', 'limit=x', 'cursor=garbage', 'unknown=1']) {
			const res = await t.request('GET', `/api/files?${query}`, { token: alice.token });
			expect(res.status, query).toBe(400);
			expect(res.body.error.code).toBe('invalid_input');
		}
		expect((await t.request('GET', '/api/files')).status).toBe(401);
	});

	it('the quota is per user, over files and unfinished uploads (413 quota_exceeded)', async () => {
		const used = (await t.request<FilesListResponse>('GET', '/api/files?limit=100', { token: alice.token })).body.files.filter((f) => f.direction === 'sent').reduce((s, f) => s + f.size, 0);
		const res = await create(t, alice.token, QUOTA - used + 1, { filename: 'too-much.bin' });
		expect(res.status, res.text).toBe(413);
		expect(res.json.error.code).toBe('quota_exceeded');
		expect((await create(t, alice.token, QUOTA - used, { filename: 'just-fits.bin' })).status).toBe(201);
	});

	it('DELETE /api/files/{id}: owner only; bytes, thumbnail and row go; the message stays, its file marked deleted', async () => {
		const row = await t.parley.db.db.selectFrom('files').selectAll().where('id', '=', photo.fileId).executeTakeFirstOrThrow();
		const bytes = path.join(t.parley.config.uploadDir, 'tus', row.upload_id);
		const thumb = path.join(t.parley.config.uploadDir, 'thumbs', `${photo.fileId}.webp`);
		expect(fs.existsSync(bytes) && fs.existsSync(thumb)).toBe(true);

		const byMember = await t.request('DELETE', `/api/files/${photo.fileId}`, { token: bob.token });
		expect(byMember.status).toBe(403);
		expect(byMember.body.error.code).toBe('forbidden');
		expect((await t.request('DELETE', `/api/files/${photo.fileId}`, { token: carol.token })).status).toBe(404);
		expect((await t.request('DELETE', `/api/files/${photo.fileId}`)).status).toBe(401);
		const told = { bob: new Events(bob.socket, ['file:deleted']), carol: new Events(carol.socket, ['file:deleted']) };
		expect((await t.request('DELETE', `/api/files/${photo.fileId}`, { token: alice.token })).status).toBe(204);
		expect(await told.bob.next('file:deleted')).toEqual({ fileId: photo.fileId, threadId: thread.id });
		expect(await told.carol.none('file:deleted')).toBe(true);

		expect(fs.existsSync(bytes)).toBe(false);
		expect(fs.existsSync(`${bytes}.json`)).toBe(false);
		expect(fs.existsSync(thumb)).toBe(false);
		expect(await t.parley.db.db.selectFrom('files').select('id').where('id', '=', photo.fileId).executeTakeFirst()).toBeUndefined();
		expect((await download(t, alice.token, photo.fileId)).status).toBe(404);
		expect((await t.request('DELETE', `/api/files/${photo.fileId}`, { token: alice.token })).status).toBe(404);
		const { messages } = await ok<{ messages: Message[] }>(bob.socket, 'messages:list', { threadId: thread.id });
		expect(messages.find((m) => m.clientId === photo.fileId)?.file).toEqual({ id: photo.fileId, deleted: true });
		const list = (await t.request<FilesListResponse>('GET', '/api/files', { token: bob.token })).body.files;
		expect(list.find((f) => f.id === photo.fileId)).toBeUndefined();
	});
});
