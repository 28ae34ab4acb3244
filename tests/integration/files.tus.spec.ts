import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilesListResponse } from '../../src/lib/protocol/index.js';
import { create, download, filesUnder, head, patch, raw, upload, type RawResponse } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// The tus edge, on SQLite: what it refuses and why. Every backend runs files.access.spec.ts.
const MAX = 1024 * 1024;
const QUOTA = 3 * MAX;

function expectError(res: RawResponse, status: number, code: string) {
	expect(res.status, res.text).toBe(status);
	expect(res.headers.get('content-type')).toMatch(/^application\/json/);
	expect(res.json?.error?.code, res.text).toBe(code);
	expect(res.json.error.message.length).toBeGreaterThan(0);
	expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
}

describe('tus at /files/ (sqlite)', () => {
	let t: TestParley;
	let alice: { token: string; user: { id: string } };
	let bob: { token: string; user: { id: string } };
	let tusDir: string;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: { MAX_UPLOAD_BYTES: String(MAX), UPLOAD_QUOTA_BYTES: String(QUOTA) } });
		[alice, bob] = await Promise.all([t.signUp(), t.signUp()]);
		tusDir = path.join(t.parley.config.uploadDir, 'tus');
	});
	afterAll(async () => t?.stop());

	async function newUpload(token: string, length: number, meta: Record<string, string> = { filename: 'f.bin' }) {
		const res = await create(t, token, length, meta);
		expect(res.status, res.text).toBe(201);
		const location = res.headers.get('location')!;
		expect(location).toMatch(/^\/files\/[0-9a-z]{20}_[0-9a-f]{24}$/);
		return location;
	}

	it('OPTIONS names tus 1.0.0, the extensions (no deferred length) and the size limit, without a session', async () => {
		const res = await raw(t, 'OPTIONS', '/files/');
		expect(res.status).toBe(204);
		expect(res.headers.get('tus-version')).toBe('1.0.0');
		expect(res.headers.get('tus-extension')?.split(',').sort()).toEqual(['creation', 'creation-with-upload', 'expiration', 'termination']);
		expect(res.headers.get('tus-max-size')).toBe(String(MAX));
	});

	it('401 without a session, on every method, in the JSON error shape', async () => {
		const url = await newUpload(alice.token, 10);
		expectError(await create(t, undefined, 10), 401, 'unauthorized');
		expectError(await create(t, 'not-a-token', 10), 401, 'unauthorized');
		expectError(await patch(t, undefined, url, 0, Buffer.from('0123456789')), 401, 'unauthorized');
		expect((await head(t, undefined, url)).status).toBe(401);
		expectError(await raw(t, 'DELETE', url, { headers: { 'tus-resumable': '1.0.0' } }), 401, 'unauthorized');
		expect((await head(t, alice.token, url)).headers.get('upload-offset')).toBe('0');
	});

	it('a wrong Upload-Offset is 409 and changes nothing', async () => {
		const url = await newUpload(alice.token, 10);
		expect((await patch(t, alice.token, url, 0, Buffer.from('01234'))).status).toBe(204);
		expectError(await patch(t, alice.token, url, 0, Buffer.from('01234')), 409, 'conflict');
		expectError(await patch(t, alice.token, url, 7, Buffer.from('789')), 409, 'conflict');
		expect((await head(t, alice.token, url)).headers.get('upload-offset')).toBe('5');
	});

	it('a PATCH that is not application/offset+octet-stream is 415', async () => {
		const url = await newUpload(alice.token, 10);
		expectError(await patch(t, alice.token, url, 0, Buffer.from('0123456789'), { 'content-type': 'application/octet-stream' }), 415, 'unsupported_media_type');
		expectError(await raw(t, 'PATCH', url, { token: alice.token, body: Buffer.from('x'), headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0' } }), 415, 'unsupported_media_type');
		// Creation with data must say so too.
		const withData = await raw(t, 'POST', '/files/', { token: alice.token, body: 'abc', headers: { 'tus-resumable': '1.0.0', 'upload-length': '3', 'upload-metadata': 'filename eA==', 'content-type': 'text/plain' } });
		expectError(withData, 415, 'unsupported_media_type');
		expect((await head(t, alice.token, url)).headers.get('upload-offset')).toBe('0');
	});

	it('a PATCH without Upload-Offset is 400 invalid_input, and changes nothing', async () => {
		const url = await newUpload(alice.token, 10);
		expect((await patch(t, alice.token, url, 0, Buffer.from('abc'))).status).toBe(204);
		const res = await raw(t, 'PATCH', url, { token: alice.token, body: Buffer.from('def'), headers: { 'tus-resumable': '1.0.0', 'content-type': 'application/offset+octet-stream' } });
		expectError(res, 400, 'invalid_input');
		expect(res.json.error.message).toMatch(/Upload-Offset/);
		expect((await head(t, alice.token, url)).headers.get('upload-offset')).toBe('3');
	});

	it('a Tus-Resumable this server does not speak is 412 precondition_failed with Tus-Version, on every method; nothing changes', async () => {
		const url = await newUpload(alice.token, 10);
		const v = { 'tus-resumable': '0.2.2' };
		const answers = [
			await create(t, alice.token, 10, { filename: 'old.bin' }, v),
			await patch(t, alice.token, url, 0, Buffer.from('abc'), v),
			await raw(t, 'HEAD', url, { token: alice.token, headers: v }),
			await raw(t, 'DELETE', url, { token: alice.token, headers: v })
		];
		for (const res of answers) {
			expect(res.status).toBe(412);
			expect(res.headers.get('tus-version')).toBe('1.0.0');
			if (res.text) expectError(res, 412, 'precondition_failed');
		}
		expect(answers[0].headers.get('location')).toBeNull();
		const h = await head(t, alice.token, url);
		expect(h.status).toBe(200);
		expect(h.headers.get('upload-offset')).toBe('0');
		// No Tus-Resumable at all (on a tus method) is 412 too.
		const none = await raw(t, 'DELETE', url, { token: alice.token });
		expectError(none, 412, 'precondition_failed');
		expect(none.headers.get('tus-version')).toBe('1.0.0');
	});

	it('over MAX_UPLOAD_BYTES is 413 at creation, and nothing is stored; more bytes than declared is 413', async () => {
		const before = filesUnder(tusDir);
		expectError(await create(t, alice.token, MAX + 1), 413, 'payload_too_large');
		expect(filesUnder(tusDir)).toEqual(before);
		const url = await newUpload(alice.token, 4);
		expectError(await patch(t, alice.token, url, 0, Buffer.from('012345')), 413, 'payload_too_large');
	});

	it('Upload-Defer-Length is refused: every upload declares its length', async () => {
		expectError(await raw(t, 'POST', '/files/', { token: alice.token, headers: { 'tus-resumable': '1.0.0', 'upload-defer-length': '1', 'upload-metadata': 'filename eA==' } }), 400, 'invalid_input');
		expectError(await raw(t, 'POST', '/files/', { token: alice.token, headers: { 'tus-resumable': '1.0.0', 'upload-metadata': 'filename eA==' } }), 400, 'invalid_input');
	});

	it('metadata is checked at creation: filename required, 1 to 255 characters, no control characters; filetype MIME-like', async () => {
		const bad: Array<[Record<string, string>, string]> = [
			[{}, 'filename'],
			[{ filetype: 'text/plain' }, 'filename'],
			[{ filename: '' }, 'filename'],
			[{ filename: 'a'.repeat(256) }, 'filename'],
			[{ filename: 'nul\u0000.txt' }, 'filename'],
			[{ filename: 'line\r\nSet-Cookie: x=1' }, 'filename'],
			[{ filename: 'tab\there' }, 'filename'],
			[{ filename: '   ' }, 'filename'],
			[{ filename: 'ok.txt', filetype: 'not a type' }, 'filetype'],
			[{ filename: 'ok.txt', threadId: '../../x' }, 'threadId']
		];
		for (const [meta, field] of bad) {
			const res = await create(t, alice.token, 1, meta);
			expectError(res, 400, 'invalid_input');
			expect(res.json.error.fields?.[field], JSON.stringify(meta)).toBeTruthy();
		}
		expect((await create(t, alice.token, 1, { filename: '😀'.repeat(255) })).status).toBe(201);
		// A thread you are not in (or that does not exist) is not found.
		expectError(await create(t, alice.token, 1, { filename: 'x', threadId: 'nosuchthread' }), 404, 'not_found');
	});

	it("another user's PATCH, HEAD and DELETE on your upload are 404, and leave it alone", async () => {
		const url = await newUpload(alice.token, 10);
		expect((await patch(t, alice.token, url, 0, Buffer.from('abc'))).status).toBe(204);
		expectError(await patch(t, bob.token, url, 3, Buffer.from('XYZ')), 404, 'not_found');
		expect((await head(t, bob.token, url)).status).toBe(404);
		expectError(await raw(t, 'DELETE', url, { token: bob.token, headers: { 'tus-resumable': '1.0.0' } }), 404, 'not_found');
		const h = await head(t, alice.token, url);
		expect(h.status).toBe(200);
		expect(h.headers.get('upload-offset')).toBe('3');
		// Ids that are not upload ids, and paths that try to climb, name nothing.
		for (const p of ['/files/..%2F..%2Fetc%2Fpasswd', '/files/%2e%2e', `/files/${alice.user.id}_../x`, '/files/x/y']) {
			expect((await patch(t, alice.token, p, 0, Buffer.from('x'))).status, p).toBe(404);
		}
	});

	it('termination deletes an unfinished upload (bytes and record); a finished one is a file and is 409', async () => {
		const url = await newUpload(alice.token, 10);
		const id = url.split('/').pop()!;
		expect((await patch(t, alice.token, url, 0, Buffer.from('abc'))).status).toBe(204);
		expect(fs.existsSync(path.join(tusDir, id))).toBe(true);
		expect((await raw(t, 'DELETE', url, { token: alice.token, headers: { 'tus-resumable': '1.0.0' } })).status).toBe(204);
		expect(fs.existsSync(path.join(tusDir, id))).toBe(false);
		expect(fs.existsSync(path.join(tusDir, `${id}.json`))).toBe(false);
		expect((await head(t, alice.token, url)).status).toBe(404);

		const done = await upload(t, alice.token, Buffer.from('finished'));
		expectError(await raw(t, 'DELETE', done.url, { token: alice.token, headers: { 'tus-resumable': '1.0.0' } }), 409, 'conflict');
		expect((await download(t, alice.token, done.fileId)).body.toString()).toBe('finished');
	});

	it('creation-with-upload: a POST with all the bytes makes the file at once', async () => {
		const res = await raw(t, 'POST', '/files/', {
			token: alice.token,
			body: Buffer.from('all at once'),
			headers: { 'tus-resumable': '1.0.0', 'upload-length': '11', 'upload-metadata': 'filename b25jZS50eHQ=', 'content-type': 'application/offset+octet-stream' }
		});
		expect(res.status, res.text).toBe(201);
		expect(res.headers.get('upload-offset')).toBe('11');
		const fileId = res.headers.get('parley-file-id')!;
		expect(fileId).toMatch(/^[0-9a-z]{20}$/);
		expect((await download(t, alice.token, fileId)).body.toString()).toBe('all at once');
	});

	it('completion is idempotent: a retried last PATCH and a later HEAD give the same file, and one row', async () => {
		const url = await newUpload(alice.token, 6, { filename: 'idempotent.txt' });
		const first = await patch(t, alice.token, url, 0, Buffer.from('abcdef'));
		expect(first.status).toBe(204);
		const fileId = first.headers.get('parley-file-id');
		expect(fileId).toMatch(/^[0-9a-z]{20}$/);
		// The answer was "lost": the client sends the last PATCH again (nothing left to send).
		const again = await patch(t, alice.token, url, 6, Buffer.alloc(0));
		expect(again.status).toBe(204);
		expect(again.headers.get('parley-file-id')).toBe(fileId);
		const h = await head(t, alice.token, url);
		expect(h.headers.get('upload-offset')).toBe('6');
		expect(h.headers.get('parley-file-id')).toBe(fileId);
		const list = await t.request<FilesListResponse>('GET', '/api/files?q=idempotent.txt', { token: alice.token });
		expect(list.body.files.map((f) => f.id)).toEqual([fileId]);
	});

	it('the quota counts files and unfinished uploads: over it is 413 quota_exceeded, deleting makes room', async () => {
		const carol = await t.signUp();
		const half = 1024 * 1024;
		const a = await newUpload(carol.token, half);
		const b = await upload(t, carol.token, Buffer.alloc(half, 1));
		await newUpload(carol.token, half);
		const res = await create(t, carol.token, half);
		expectError(res, 413, 'quota_exceeded');
		expect(res.json.error.message).toMatch(/quota/);
		// Quota is per user: alice is not affected by carol's.
		expect((await create(t, alice.token, half)).status).toBe(201);
		// Two at once cannot both pass the last room.
		expect((await raw(t, 'DELETE', a, { token: carol.token, headers: { 'tus-resumable': '1.0.0' } })).status).toBe(204);
		const racing = await Promise.all([create(t, carol.token, half), create(t, carol.token, half)]);
		expect(racing.map((r) => r.status).sort()).toEqual([201, 413]);
		expect((await t.request('DELETE', `/api/files/${b.fileId}`, { token: carol.token })).status).toBe(204);
		expect((await create(t, carol.token, half)).status).toBe(201);
	});

	it('names that try to be paths stay display names: the disk holds only server-made names, the download header is safe', async () => {
		const names = ['../../etc/passwd', '..\\..\\x.txt', '%2e%2e/%2e%2e/y', '/abs/path', 'quote".txt', "it's (1).txt", 'naïve résumé.pdf', '日本語.txt', '..', 'semi;colon=x.txt'];
		const ids: string[] = [];
		for (const name of names) {
			const { fileId } = await upload(t, alice.token, Buffer.from(name), { filename: name });
			ids.push(fileId);
			const got = await download(t, alice.token, fileId);
			expect(got.body.toString()).toBe(name);
			const cd = got.headers.get('content-disposition')!;
			expect(cd).not.toMatch(/[\r\n]/);
			const m = /^attachment; filename="([^"\\]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)$/.exec(cd);
			expect(m, cd).not.toBeNull();
			expect(m![1]).not.toMatch(/[/\\]/);
			expect(decodeURIComponent(m![2])).toBe(name.replace(/[/\\]/g, '_'));
		}
		// Everything on disk is under UPLOAD_DIR, named by server-made ids only.
		const uploadDir = t.parley.config.uploadDir;
		for (const file of filesUnder(uploadDir)) {
			expect(file, file).toMatch(/^(tus\/[0-9a-z]{20}_[0-9a-f]{24}(\.json)?|thumbs\/[0-9a-z]{20}\.webp)$/);
		}
		expect(fs.existsSync(path.resolve(tusDir, '../../etc/passwd'))).toBe(false);
		const list = await t.request<FilesListResponse>('GET', '/api/files?limit=100', { token: alice.token });
		for (const [i, id] of ids.entries()) expect(list.body.files.find((f) => f.id === id)?.name).toBe(names[i]);
	});
});

describe('expiration (sqlite, short expiry)', () => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley('sqlite', { parley: { filesTiming: { expiryMs: 2500, sweepIntervalMs: 200 } } });
	});
	afterAll(async () => t?.stop());

	it('an abandoned upload is removed by the sweep (HEAD then 404); a finished file is kept', async () => {
		const { token } = await t.signUp();
		// Finished first: a file must outlive the expiry of the upload it came from.
		const finished = await upload(t, token, Buffer.from('keep me'));
		const res = await create(t, token, 100, { filename: 'abandoned.bin' });
		expect(res.headers.get('upload-expires')).toBeTruthy();
		const url = res.headers.get('location')!;
		const id = url.split('/').pop()!;
		expect((await patch(t, token, url, 0, Buffer.alloc(40))).status).toBe(204);
		const tusDir = path.join(t.parley.config.uploadDir, 'tus');
		expect(fs.existsSync(path.join(tusDir, id))).toBe(true);

		const deadline = Date.now() + 10_000;
		// The store removes the bytes, then the metadata beside them: wait for both.
		const present = () => fs.existsSync(path.join(tusDir, id)) || fs.existsSync(path.join(tusDir, `${id}.json`));
		while (present() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
		expect(fs.existsSync(path.join(tusDir, id))).toBe(false);
		expect(fs.existsSync(path.join(tusDir, `${id}.json`))).toBe(false);
		expect((await head(t, token, url)).status).toBe(404);
		expect((await download(t, token, finished.fileId)).body.toString()).toBe('keep me');
		expect(await t.parley.files!.sweep()).toBe(0);
	});
});
