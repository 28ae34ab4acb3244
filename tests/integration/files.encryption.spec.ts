import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { CHUNK_SIZE, chunkOffset, encryptChunk, HEADER_SIZE, MasterKey, storedSize } from '../../server/files/crypto/format.js';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import { create, download, filesUnder, head, patch, sha256, startOn, upload } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Files encrypted at rest (FILES_ENCRYPTION_KEY). On SQLite only: encryption is about the bytes in
// UPLOAD_DIR, which no database backend touches (the rows are the same with it on or off).
const KEY = randomBytes(32).toString('base64');

/** Every stored byte under UPLOAD_DIR's tus/, thumbs/ and avatars/ (the .json records hold names, not contents). */
function storedBytes(uploadDir: string): Buffer[] {
	return filesUnder(uploadDir)
		.filter((p) => !p.endsWith('.json'))
		.map((p) => fs.readFileSync(path.join(uploadDir, p)));
}

describe('files encrypted at rest (sqlite)', () => {
	let t: TestParley;
	let uploadDir: string;
	let token: string;
	/** A file from the Range test, downloaded again after the key rotation. */
	let kept: { fileId: string; data: Buffer };

	beforeAll(async () => {
		uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-encrypted-uploads-'));
		t = await startParley('sqlite', { env: { UPLOAD_DIR: uploadDir, FILES_ENCRYPTION_KEY: KEY } });
		token = (await t.signUp()).token;
	});
	afterAll(async () => {
		await t?.stop();
		fs.rmSync(uploadDir, { recursive: true, force: true });
	});

	it('stores none of a known plaintext: not the upload, not its thumbnail, not a picture; downloads give the plaintext', async () => {
		const known = Buffer.alloc(3 * CHUNK_SIZE + 999, 'PARLEY KNOWN PLAINTEXT 0123456789 ');
		const text = await upload(t, token, known, { filename: 'known.txt', filetype: 'text/plain' });
		const image = await sharp(randomBytes(400 * 300 * 3), { raw: { width: 400, height: 300, channels: 3 } }).png().toBuffer();
		const picture = await upload(t, token, image, { filename: 'noise.png', filetype: 'image/png' });
		await new Promise<void>((resolve, reject) => {
			const up = new tus.Upload(image, { endpoint: `${t.baseUrl}/files/`, headers: { authorization: `Bearer ${token}` }, metadata: { filename: 'me.png', filetype: 'image/png', purpose: 'avatar' }, retryDelays: [], onError: reject, onSuccess: () => resolve() });
			up.start();
		});

		const got = await download(t, token, text.fileId);
		expect(got.status).toBe(200);
		expect(got.headers.get('content-length')).toBe(String(known.length));
		expect(got.body.equals(known)).toBe(true);
		expect((await download(t, token, picture.fileId)).body.equals(image)).toBe(true);
		const thumb = await fetch(`${t.baseUrl}/files/${picture.fileId}/thumbnail`, { headers: { authorization: `Bearer ${token}` } });
		expect(thumb.status).toBe(200);
		const thumbBytes = Buffer.from(await thumb.arrayBuffer());
		expect(await sharp(thumbBytes).metadata()).toMatchObject({ format: 'webp', width: 320, height: 240 });
		const me = await t.request('GET', '/api/me', { token });
		const avatar = await fetch(t.baseUrl + me.body.user.avatarUrl, { headers: { authorization: `Bearer ${token}` } });
		expect(avatar.status).toBe(200);
		const avatarBytes = Buffer.from(await avatar.arrayBuffer());
		expect((await sharp(avatarBytes).metadata()).format).toBe('webp');

		const stored = storedBytes(uploadDir);
		expect(filesUnder(uploadDir).some((p) => p.startsWith('thumbs'))).toBe(true);
		expect(filesUnder(uploadDir).some((p) => p.startsWith('avatars'))).toBe(true);
		// 32-byte windows of each plaintext: none is anywhere on disk (encrypted bytes, not a copy).
		const needles = [known.subarray(0, 32), image.subarray(1000, 1032), thumbBytes.subarray(40, 72), avatarBytes.subarray(40, 72), Buffer.from('PARLEY KNOWN')];
		for (const needle of needles) for (const bytes of stored) expect(bytes.includes(needle)).toBe(false);
	});

	it('Range over chunk boundaries returns exactly the right bytes', async () => {
		const data = randomBytes(5 * CHUNK_SIZE + 1234);
		const { fileId } = await upload(t, token, data);
		kept = { fileId, data };
		const size = data.length;
		const C = CHUNK_SIZE;
		const cases: Array<[string, number, number]> = [
			['bytes=0-0', 0, 0],
			[`bytes=${C - 1}-${C}`, C - 1, C],
			[`bytes=${C - 10}-${3 * C + 10}`, C - 10, 3 * C + 10],
			['bytes=70000-70010', 70000, 70010],
			[`bytes=${2 * C}-${3 * C - 1}`, 2 * C, 3 * C - 1],
			['bytes=-1000', size - 1000, size - 1],
			[`bytes=-${C + 1300}`, size - C - 1300, size - 1],
			['bytes=300000-', 300000, size - 1],
			[`bytes=${size - 1}-${size + 50}`, size - 1, size - 1]
		];
		for (const [range, start, end] of cases) {
			const got = await download(t, token, fileId, { range });
			expect(got.status, range).toBe(206);
			expect(got.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${size}`);
			expect(got.body.equals(data.subarray(start, end + 1)), range).toBe(true);
		}
		expect((await download(t, token, fileId, { range: `bytes=${size}-` })).status).toBe(416);
	});

	it('a flipped bit on disk gives an error, never other bytes: 500 before the answer starts, a cut connection after', async () => {
		const data = randomBytes(3 * CHUNK_SIZE);
		const { url, fileId } = await upload(t, token, data);
		const file = path.join(uploadDir, 'tus', url.split('/').pop()!);
		const clean = fs.readFileSync(file);

		const early = Buffer.from(clean);
		early[chunkOffset(0) + 500] ^= 0x10;
		fs.writeFileSync(file, early);
		const failed = await download(t, token, fileId);
		expect(failed.status).toBe(500);
		expect(JSON.parse(failed.body.toString()).error.code).toBe('internal');

		// Only the first chunk is checked before answering: chunk 18 fails mid-body, and the connection is cut.
		const big = randomBytes(20 * CHUNK_SIZE);
		const second = await upload(t, token, big);
		const bigFile = path.join(uploadDir, 'tus', second.url.split('/').pop()!);
		const late = fs.readFileSync(bigFile);
		late[chunkOffset(18) + 7] ^= 0x01;
		fs.writeFileSync(bigFile, late);
		const res = await fetch(`${t.baseUrl}/files/${second.fileId}`, { headers: { authorization: `Bearer ${token}` } });
		expect(res.status).toBe(200);
		await expect(res.arrayBuffer()).rejects.toThrow();
		// The chunks before the damage still serve exactly.
		const head16 = await download(t, token, second.fileId, { range: `bytes=0-${16 * CHUNK_SIZE - 1}` });
		expect(head16.body.equals(big.subarray(0, 16 * CHUNK_SIZE))).toBe(true);

		// A file cut short on disk is no file either.
		fs.writeFileSync(file, clean.subarray(0, clean.length - 100));
		expect((await download(t, token, fileId)).status).toBe(500);
		fs.writeFileSync(file, clean);
		expect((await download(t, token, fileId)).body.equals(data)).toBe(true);
	});

	it('a PATCH that stops mid-chunk leaves an encrypted partial chunk; after a restart, HEAD and a resume give the exact file', async () => {
		const data = Buffer.alloc(3 * CHUNK_SIZE + 500, 'RESUMED PLAINTEXT ');
		data.write('the end', data.length - 10);
		const first = await startOn(t, uploadDir, { FILES_ENCRYPTION_KEY: KEY });
		let url: string;
		try {
			const created = await create(first.t, token, data.length, { filename: 'resumed.txt' });
			expect(created.status).toBe(201);
			url = created.headers.get('location')!;
			// Two PATCHes on this process, each ending mid-chunk (the second re-encrypts the partial chunk).
			expect((await patch(first.t, token, url, 0, data.subarray(0, 1000))).status).toBe(204);
			const cut = CHUNK_SIZE + 34464;
			const cutAt = await patch(first.t, token, url, 1000, data.subarray(1000, cut));
			expect(cutAt.status).toBe(204);
			expect(cutAt.headers.get('upload-offset')).toBe(String(cut));
			const onDisk = fs.readFileSync(path.join(uploadDir, 'tus', url.split('/').pop()!));
			expect(onDisk.length).toBe(storedSize(cut));
			expect(onDisk.includes(Buffer.from('RESUMED'))).toBe(false);
		} finally {
			await first.stop();
		}

		const second = await startOn(t, uploadDir, { FILES_ENCRYPTION_KEY: KEY });
		try {
			const offset = Number((await head(second.t, token, url)).headers.get('upload-offset'));
			expect(offset).toBe(CHUNK_SIZE + 34464);
			const done = await patch(second.t, token, url, offset, data.subarray(offset));
			expect(done.status).toBe(204);
			const fileId = done.headers.get(FILE_ID_HEADER)!;
			const got = await download(second.t, token, fileId);
			expect(got.body.equals(data)).toBe(true);
			// The digest of the plaintext, made from the decrypted bytes (this process saw only the end).
			expect(got.headers.get('etag')).toBe(`"${sha256(data)}"`);
		} finally {
			await second.stop();
		}
	});

	it('a PATCH cut off mid-body keeps what arrived, encrypted; HEAD and a resume give the exact file', async () => {
		const data = randomBytes(4 * CHUNK_SIZE + 321);
		const url = (await create(t, token, data.length, { filename: 'cut.bin' })).headers.get('location')!;
		// Half the body, then the connection goes (a closed laptop lid).
		await new Promise<void>((resolve) => {
			const req = http.request(`${t.baseUrl}${url}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(data.length) } });
			req.on('error', () => resolve());
			req.write(data.subarray(0, 150_000), () => setTimeout(() => (req.destroy(), resolve()), 200));
		});
		// As a client does: ask, send the rest from there, again if the cut-off PATCH still held the upload.
		let fileId: string | null = null;
		for (let attempt = 0; attempt < 20 && !fileId; attempt++) {
			const offset = Number((await head(t, token, url)).headers.get('upload-offset'));
			expect(offset).toBeLessThanOrEqual(150_000);
			const res = await patch(t, token, url, offset, data.subarray(offset));
			if (res.status === 204) fileId = res.headers.get(FILE_ID_HEADER);
			else await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const got = await download(t, token, fileId!);
		expect(got.body.equals(data)).toBe(true);
		expect(got.headers.get('etag')).toBe(`"${sha256(data)}"`);
	});

	it('a partial chunk rewrite cut off by a dead process (its redo record left) is finished at the next HEAD: nothing acknowledged is lost', async () => {
		const data = randomBytes(2 * CHUNK_SIZE + 3000);
		const url = (await create(t, token, data.length, { filename: 'torn.bin' })).headers.get('location')!;
		expect((await patch(t, token, url, 0, data.subarray(0, CHUNK_SIZE + 1000))).status).toBe(204);
		// The state a process killed mid-rewrite leaves (crypto/appender.ts): the record, and the new tail only.
		const file = path.join(uploadDir, 'tus', url.split('/').pop()!);
		const fileKey = new MasterKey(Buffer.from(KEY, 'base64')).openHeader(fs.readFileSync(file).subarray(0, HEADER_SIZE));
		const chunk = encryptChunk(fileKey, 1, data.subarray(CHUNK_SIZE, CHUNK_SIZE + 2000));
		const at = chunkOffset(1);
		const record = Buffer.alloc(8 + chunk.length);
		record.writeBigUInt64BE(BigInt(at));
		chunk.copy(record, 8);
		fs.writeFileSync(`${file}.redo`, record);
		const oldEnd = fs.statSync(file).size;
		fs.appendFileSync(file, chunk.subarray(oldEnd - at));

		expect((await head(t, token, url)).headers.get('upload-offset')).toBe(String(CHUNK_SIZE + 2000));
		expect(fs.existsSync(`${file}.redo`)).toBe(false);
		const done = await patch(t, token, url, CHUNK_SIZE + 2000, data.subarray(CHUNK_SIZE + 2000));
		expect(done.status).toBe(204);
		expect((await download(t, token, done.headers.get(FILE_ID_HEADER)!)).body.equals(data)).toBe(true);
	});

	it('refuses to start without the key, or with another key, where files are encrypted; a malformed key is a ConfigError', async () => {
		await expect(startOn(t, uploadDir, {})).rejects.toThrow(/FILES_ENCRYPTION_KEY is not set, but the files in UPLOAD_DIR .* are encrypted/);
		await expect(startOn(t, uploadDir, { FILES_ENCRYPTION_KEY: randomBytes(32).toString('base64') })).rejects.toThrow(/FILES_ENCRYPTION_KEY does not match the key the files were encrypted with/);
		expect(() => loadConfig({ FILES_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(/FILES_ENCRYPTION_KEY is no base64 key of exactly 32 bytes/);
		// Still serving, with the right key.
		const again = await startOn(t, uploadDir, { FILES_ENCRYPTION_KEY: KEY });
		await again.stop();
	});

	// Last: `t` keeps the old key in memory and is not used after this.
	it('npm run files:rotate-key re-wraps every file for a new key, resumably; the data reads the same under the new key only', async () => {
		const next = randomBytes(32).toString('base64');
		const run = (env: Record<string, string>) => spawnSync(process.execPath, ['scripts/files-rotate-key.mjs'], { env: { PATH: process.env.PATH, DATA_DIR: uploadDir, UPLOAD_DIR: uploadDir, ...env }, encoding: 'utf8' });
		const wrong = run({ FILES_ENCRYPTION_KEY: next, FILES_ENCRYPTION_OLD_KEY: randomBytes(32).toString('base64') });
		expect(wrong.status).toBe(1);
		expect(wrong.stderr).toMatch(/FILES_ENCRYPTION_OLD_KEY is not the key the files in .* are encrypted with/);

		// A rotation cut off after one file: that file is under the new key already.
		const one = path.join(uploadDir, 'tus', filesUnder(path.join(uploadDir, 'tus')).find((p) => !p.endsWith('.json'))!);
		const bytes = fs.readFileSync(one);
		new MasterKey(Buffer.from(KEY, 'base64')).rewrap(bytes.subarray(0, HEADER_SIZE), new MasterKey(Buffer.from(next, 'base64'))).copy(bytes, 0);
		fs.writeFileSync(one, bytes);

		const done = run({ FILES_ENCRYPTION_KEY: next, FILES_ENCRYPTION_OLD_KEY: KEY });
		expect(done.stderr).toBe('');
		expect(done.status).toBe(0);
		const counts = /done: (\d+) re-wrapped, (\d+) already under the new key/.exec(done.stdout)!;
		expect(Number(counts[1])).toBeGreaterThan(5);
		expect(Number(counts[2])).toBe(1);
		expect(run({ FILES_ENCRYPTION_KEY: next, FILES_ENCRYPTION_OLD_KEY: KEY }).stdout).toMatch(/done: 0 re-wrapped/);

		await expect(startOn(t, uploadDir, { FILES_ENCRYPTION_KEY: KEY })).rejects.toThrow(/does not match the key the files were encrypted with/);
		const rotated = await startOn(t, uploadDir, { FILES_ENCRYPTION_KEY: next });
		try {
			const got = await download(rotated.t, token, kept.fileId);
			expect(got.status).toBe(200);
			expect(got.body.equals(kept.data)).toBe(true);
		} finally {
			await rotated.stop();
		}
	});
});
