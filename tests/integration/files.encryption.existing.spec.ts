import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAGIC } from '../../server/files/crypto/format.js';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import { create, download, filesUnder, head, patch, startOn, upload } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Turning FILES_ENCRYPTION_KEY on for a deployment whose files are stored clear: they are encrypted in
// the background. On SQLite only: this is about the bytes in UPLOAD_DIR, not the database.
const KEY = randomBytes(32).toString('base64');

/** The stored files (not the .json records) under UPLOAD_DIR, by path relative to it. */
function stored(uploadDir: string): Map<string, Buffer> {
	return new Map(filesUnder(uploadDir).filter((p) => !p.endsWith('.json') && !p.startsWith('.')).map((p) => [p, fs.readFileSync(path.join(uploadDir, p))]));
}

/** Waits (polling the disk, at most 30 s) until every stored file but `except` begins with the encryption header. */
async function allEncrypted(uploadDir: string, except: string[] = []): Promise<Map<string, Buffer>> {
	for (let i = 0; ; i++) {
		const files = stored(uploadDir);
		if ([...files].every(([p, bytes]) => except.some((e) => p.endsWith(e)) || bytes.subarray(0, MAGIC.length).equals(MAGIC))) return files;
		if (i > 300) throw new Error(`still clear: ${[...files].filter(([, b]) => !b.subarray(0, 8).equals(MAGIC)).map(([p]) => p).join(', ')}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

describe('encryption turned on later: files stored clear are encrypted in the background (sqlite)', () => {
	let t: TestParley;
	let uploadDir: string;

	beforeAll(async () => {
		uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-clear-uploads-'));
		t = await startParley('sqlite', { env: { UPLOAD_DIR: uploadDir } });
	});
	afterAll(async () => {
		await t?.stop();
		fs.rmSync(uploadDir, { recursive: true, force: true });
	});

	it('encrypts finished files, thumbnails and pictures; an upload begun clear finishes clear and is encrypted on the next start', async () => {
		const { token } = await t.signUp();
		const known = Buffer.alloc(200_000, 'CLEAR BEFORE THE KEY ');
		const text = await upload(t, token, known, { filename: 'old.txt', filetype: 'text/plain' });
		const image = await sharp(randomBytes(200 * 100 * 3), { raw: { width: 200, height: 100, channels: 3 } }).png().toBuffer();
		const picture = await upload(t, token, image, { filename: 'old.png', filetype: 'image/png' });
		await new Promise<void>((resolve, reject) => {
			const up = new tus.Upload(image, { endpoint: `${t.baseUrl}/files/`, headers: { authorization: `Bearer ${token}` }, metadata: { filename: 'me.png', purpose: 'avatar' }, retryDelays: [], onError: reject, onSuccess: () => resolve() });
			up.start();
		});
		const unfinished = Buffer.alloc(150_000, 'HALF UPLOADED CLEAR ');
		const url = (await create(t, token, unfinished.length, { filename: 'half.txt' })).headers.get('location')!;
		expect((await patch(t, token, url, 0, unfinished.subarray(0, 70_000))).status).toBe(204);
		const halfId = url.split('/').pop()!;
		const thumbBefore = Buffer.from(await (await fetch(`${t.baseUrl}/files/${picture.fileId}/thumbnail`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());

		const keyed = await startOn(t, uploadDir, { FILES_ENCRYPTION_KEY: KEY });
		try {
			const files = await allEncrypted(uploadDir, [halfId]);
			for (const [p, bytes] of files) {
				if (p.endsWith(halfId)) continue;
				for (const needle of [Buffer.from('CLEAR BEFORE'), image.subarray(500, 532), thumbBefore.subarray(40, 72)]) expect(bytes.includes(needle), p).toBe(false);
			}
			expect((await download(keyed.t, token, text.fileId)).body.equals(known)).toBe(true);
			expect((await download(keyed.t, token, picture.fileId)).body.equals(image)).toBe(true);
			const thumb = await fetch(`${keyed.t.baseUrl}/files/${picture.fileId}/thumbnail`, { headers: { authorization: `Bearer ${token}` } });
			expect(Buffer.from(await thumb.arrayBuffer()).equals(thumbBefore)).toBe(true);

			// The clear upload resumes where it was and finishes (in clear: it was begun so).
			expect(Number((await head(keyed.t, token, url)).headers.get('upload-offset'))).toBe(70_000);
			const done = await patch(keyed.t, token, url, 70_000, unfinished.subarray(70_000));
			expect(done.status).toBe(204);
			const half = await download(keyed.t, token, done.headers.get(FILE_ID_HEADER)!);
			expect(half.body.equals(unfinished)).toBe(true);
		} finally {
			await keyed.stop();
		}

		// The next start takes it.
		const again = await startOn(t, uploadDir, { FILES_ENCRYPTION_KEY: KEY });
		try {
			const files = await allEncrypted(uploadDir);
			expect(files.get(path.join('tus', halfId))!.includes(Buffer.from('HALF UPLOADED'))).toBe(false);
			const me = await t.request('GET', '/api/me', { token });
			const avatar = await fetch(again.t.baseUrl + me.body.user.avatarUrl, { headers: { authorization: `Bearer ${token}` } });
			expect((await sharp(Buffer.from(await avatar.arrayBuffer())).metadata()).format).toBe('webp');
		} finally {
			await again.stop();
		}
	});
});
