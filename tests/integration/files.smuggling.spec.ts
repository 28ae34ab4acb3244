import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Thread } from '../../src/lib/protocol/index.js';
import { backendNames } from '../helpers/backends.js';
import { befriend, ok, person, type Person } from '../helpers/chat.js';
import { create, download, head, patch, upload, type RawResponse } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Issue 10, item 1: the edge authorized the URL's path while tus took the upload id from the whole
// URL, query included, so `/files/<own>?x=/<victim>` acted on the victim's upload. Every tus method,
// every way of hiding a second id in the URL: an error, and the victim's upload exactly as it was.

/** The ways of naming a second upload behind your own, and the answer each must get. */
function smuggled(own: string, victim: string): Array<[string, number]> {
	return [
		[`${own}?x=/${victim}`, 400],
		[`${own}?/${victim}`, 400],
		[`${own}?a=1&b=/${victim}`, 400],
		[`${own}?${victim}`, 400],
		[`${own}/?x=/${victim}`, 400],
		[`${own}%2F${victim}`, 404],
		[`${own}%2f${victim}`, 404],
		[`${own}%5C${victim}`, 404],
		[`${own}%5c..%5c${victim}`, 404],
		[`${own}/..%2F${victim}`, 404],
		[`${victim}/../${own}`, 404],
		[`${own}\\..\\${victim}`, 404],
		[`${own}#/${victim}`, 400],
		[`${own}/${victim}`, 404],
		[`${own};${victim}`, 404]
	];
}

/**
 * One request with its target sent byte for byte (fetch would resolve `..` and backslashes first,
 * and drop a `#`, so those would never reach the server as written).
 */
function exact(baseUrl: string, method: string, target: string, options: { token: string; headers?: Record<string, string>; body?: Buffer }): Promise<RawResponse> {
	const { hostname, port } = new URL(baseUrl);
	return new Promise((resolve, reject) => {
		const req = http.request({ host: hostname, port, method, path: target, headers: { authorization: `Bearer ${options.token}`, ...options.headers, ...(options.body ? { 'content-length': String(options.body.length) } : {}) } }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: unknown;
				try {
					json = text ? JSON.parse(text) : undefined;
				} catch {
					json = undefined;
				}
				const headers = new Headers();
				for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
				resolve({ status: res.statusCode ?? 0, headers, text, json });
			});
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(options.body);
	});
}

function expectJsonError(res: RawResponse, status: number, context: string) {
	expect(res.status, `${context}: ${res.text}`).toBe(status);
	expect(res.headers.get('content-type'), context).toMatch(/^application\/json/);
	expect(res.json?.error?.code, context).toBe(status === 400 ? 'invalid_input' : 'not_found');
	expect(res.json.error.message.length, context).toBeGreaterThan(0);
}

describe.each(backendNames())('tus: an upload id smuggled into the URL acts on nothing (%s)', (backend) => {
	let t: TestParley;
	let alice: Person;
	let bob: Person;
	let mallory: Person;
	let thread: Thread;

	beforeAll(async () => {
		t = await startParley(backend);
		[alice, bob, mallory] = await Promise.all([person(t), person(t), person(t)]);
		thread = await befriend(alice, bob);
	});
	afterAll(async () => t?.stop());

	/** A new upload of `length` bytes into alice's thread with `sent` bytes in; its URL and id. */
	async function started(who: Person, options: { length: number; sent: string; threadId?: string }) {
		const res = await create(t, who.token, options.length, { filename: 'secret.txt', ...(options.threadId ? { threadId: options.threadId } : {}) });
		expect(res.status, res.text).toBe(201);
		const url = res.headers.get('location')!;
		if (options.sent) expect((await patch(t, who.token, url, 0, Buffer.from(options.sent))).status).toBe(204);
		return { url, id: url.split('/').pop()! };
	}

	/** What alice's upload looks like to alice: length, offset, metadata. */
	async function state(url: string) {
		const res = await head(t, alice.token, url);
		expect(res.status, res.text).toBe(200);
		return { length: res.headers.get('upload-length'), offset: res.headers.get('upload-offset'), metadata: res.headers.get('upload-metadata') };
	}

	async function fileMessages(): Promise<Message[]> {
		const { messages } = await ok<{ messages: Message[] }>(alice.socket, 'messages:list', { threadId: thread.id });
		return messages.filter((m) => m.kind === 'file');
	}

	const methods = {
		HEAD: (target: string) => exact(t.baseUrl, 'HEAD', target, { token: mallory.token, headers: { 'tus-resumable': '1.0.0' } }),
		// Exactly the bytes that would finish alice's upload: a file message in her thread if it lands.
		PATCH: (target: string) => exact(t.baseUrl, 'PATCH', target, { token: mallory.token, body: Buffer.from('EVIL!!!'), headers: { 'tus-resumable': '1.0.0', 'upload-offset': '3', 'content-type': 'application/offset+octet-stream' } }),
		DELETE: (target: string) => exact(t.baseUrl, 'DELETE', target, { token: mallory.token, headers: { 'tus-resumable': '1.0.0' } })
	};

	for (const [method, send] of Object.entries(methods)) {
		it(`${method} /files/<own>?x=/<victim>, %2F, %5C and the like: an error; the victim's upload unchanged, no message`, async () => {
			const victim = await started(alice, { length: 10, sent: 'abc', threadId: thread.id });
			const own = await started(mallory, { length: 10, sent: 'xyz' });
			const before = await state(victim.url);
			const messagesBefore = await fileMessages();
			for (const [path, status] of smuggled(own.id, victim.id)) {
				const res = await send(`/files/${path}`);
				if (method === 'HEAD') {
					// A HEAD answer has no body: the status and the missing tus headers say enough.
					expect(res.status, path).toBe(status);
					expect(res.headers.get('upload-offset'), path).toBeNull();
					expect(res.headers.get('upload-metadata'), path).toBeNull();
				} else {
					expectJsonError(res, status, `${method} ${path}`);
				}
				expect(await state(victim.url), `${method} ${path}`).toEqual(before);
			}
			expect(await fileMessages()).toEqual(messagesBefore);
			// Mallory's own upload was not touched either (each attempt was refused, not redirected).
			const mine = await head(t, mallory.token, own.url);
			expect(mine.headers.get('upload-offset')).toBe('3');
			// And alice can still finish hers, into the one message she meant.
			const done = await patch(t, alice.token, victim.url, 3, Buffer.from('defghij'));
			expect(done.status, done.text).toBe(204);
			expect((await fileMessages()).length).toBe(messagesBefore.length + 1);
		});
	}

	it('POST /files/ with a query or an odd path creates nothing', async () => {
		const victim = await started(alice, { length: 10, sent: 'abc', threadId: thread.id });
		for (const [path, status] of [
			[`/files/?x=/${victim.id}`, 400],
			[`/files?/${victim.id}`, 400],
			['/files/?', 400],
			['/files/%2F', 404],
			['/files//', 404],
			['/files/./', 404],
			['/x/../files/', 404],
			['/files\\', 404]
		] as const) {
			const res = await exact(t.baseUrl, 'POST', path, { token: mallory.token, headers: { 'tus-resumable': '1.0.0', 'upload-length': '3', 'upload-metadata': 'filename eA==' } });
			expectJsonError(res, status, `POST ${path}`);
			expect(res.headers.get('location'), path).toBeNull();
		}
		expect((await state(victim.url)).offset).toBe('3');
	});

	it('a download serves the file its path names, whatever the query; an encoded slash names none', async () => {
		const mine = await upload(t, mallory.token, Buffer.from('mallory'));
		const theirs = await upload(t, alice.token, Buffer.from('alice only'), { threadId: thread.id });
		const viaQuery = await download(t, mallory.token, `${mine.fileId}?x=/${theirs.fileId}`);
		expect(viaQuery.status).toBe(200);
		expect(viaQuery.body.toString()).toBe('mallory');
		for (const path of [`${mine.fileId}%2F${theirs.fileId}`, `${mine.fileId}%5C${theirs.fileId}`, `${mine.fileId}/..%2F${theirs.fileId}`]) {
			const res = await download(t, mallory.token, path);
			expect(res.status, path).toBe(404);
			expect(res.body.toString()).not.toContain('alice only');
		}
		expect((await download(t, mallory.token, theirs.fileId)).status).toBe(404);
	});
});
