import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_ID_HEADER, type FilesListResponse } from '../../src/lib/protocol/index.js';
import { download, head, sha256 } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// The heavy one, on SQLite only: 64 MiB is about the disk and the HTTP path, not the database. The
// other backends each get a small upload in files.access.spec.ts.
describe('a 64 MiB upload cut at 40 % resumes from the server offset (sqlite)', () => {
	const SIZE = 64 * 1024 * 1024;
	let t: TestParley;
	let dir: string;
	let source: string;
	let digest: string;

	beforeAll(async () => {
		t = await startParley('sqlite');
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-resume-'));
		source = path.join(dir, 'source.bin');
		const data = randomBytes(SIZE);
		digest = sha256(data);
		fs.writeFileSync(source, data);
	});
	afterAll(async () => {
		await t?.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	});

	it('aborted mid-way, HEAD says what arrived, a new Upload from the stored URL sends only the rest, and the download is byte-identical', async () => {
		const { token } = await t.signUp();
		const headers = { authorization: `Bearer ${token}` };
		const metadata = { filename: 'big.bin', filetype: 'application/octet-stream' };

		// 1. Start, and abort (the upload object, as a closed tab would) once 40 % is sent.
		let uploadUrl = '';
		await new Promise<void>((resolve, reject) => {
			const first = new tus.Upload(fs.createReadStream(source), {
				endpoint: `${t.baseUrl}/files/`,
				headers,
				metadata,
				// 8 MiB PATCHes: abort() stops the upload before its next PATCH, so at most the PATCH in
				// flight at 40 % (the one from 24 to 32 MiB) still lands. In one 64 MiB PATCH the whole
				// body could reach a quick server through loopback's buffers before the abort did.
				chunkSize: 8 * 1024 * 1024,
				retryDelays: [],
				onUploadUrlAvailable: () => (uploadUrl = first.url!),
				onProgress: (sent) => {
					if (sent >= SIZE * 0.4) first.abort().then(() => resolve(), reject);
				},
				onError: reject,
				onSuccess: () => reject(new Error('finished before it could be aborted'))
			});
			first.start();
		});
		expect(uploadUrl).toMatch(/\/files\/[0-9a-z]+_[0-9a-f]{24}$/);

		// 2. The server kept what arrived (the aborted PATCH may still be landing: wait for it to settle).
		let offset = 0;
		for (let i = 0; i < 50; i++) {
			const h = await head(t, token, uploadUrl);
			expect(h.status).toBe(200);
			expect(h.headers.get('upload-length')).toBe(String(SIZE));
			const now = Number(h.headers.get('upload-offset'));
			if (now > 0 && now === offset) break;
			offset = now;
			await new Promise((r) => setTimeout(r, 100));
		}
		expect(offset).toBeGreaterThan(0);
		expect(offset).toBeLessThan(SIZE);

		// 3. A new Upload from the stored URL: it asks the server where to go on, and sends the rest.
		const patchOffsets: number[] = [];
		let fileId = '';
		await new Promise<void>((resolve, reject) => {
			const second = new tus.Upload(fs.createReadStream(source), {
				endpoint: `${t.baseUrl}/files/`,
				uploadUrl,
				headers,
				metadata,
				chunkSize: Infinity,
				retryDelays: [],
				onBeforeRequest: (req) => {
					if (req.getMethod() === 'PATCH') patchOffsets.push(Number(req.getHeader('Upload-Offset')));
				},
				onError: reject,
				onSuccess: ({ lastResponse }) => {
					fileId = lastResponse.getHeader(FILE_ID_HEADER) ?? '';
					resolve();
				}
			});
			second.start();
		});
		expect(patchOffsets).toEqual([offset]);
		// Bytes sent after the resume: exactly what the server did not have.
		expect(SIZE - patchOffsets[0]).toBe(SIZE - offset);
		expect(fileId).toMatch(/^[0-9a-z]{20}$/);

		// 4. Byte-identical: the digest the server stored, and the bytes it serves.
		const list = await t.request<FilesListResponse>('GET', '/api/files', { token });
		expect(list.body.files).toHaveLength(1);
		expect(list.body.files[0]).toMatchObject({ id: fileId, name: 'big.bin', size: SIZE, sha256: digest, direction: 'sent' });
		const got = await download(t, token, fileId);
		expect(got.status).toBe(200);
		expect(got.body.length).toBe(SIZE);
		expect(sha256(got.body)).toBe(digest);
		expect(got.headers.get('etag')).toBe(`"${digest}"`);
	}, 90_000);
});
