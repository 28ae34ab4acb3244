import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import { create, download, filesUnder, head, patch, raw, sha256, startOn, upload, uploadAvatar } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const MiB = 1024 * 1024;
const KEY = randomBytes(32).toString('base64');
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const png = (shade: number) => sharp({ create: { width: 64, height: 64, channels: 3, background: { r: shade, g: 80, b: 160 } } }).png().toBuffer();

/**
 * The contract every store (FILES_STORE) keeps, run against each: the local disk in clear and
 * encrypted, and an S3-compatible bucket (s3rver, in a process of its own). Sizes cross S3's 5 MiB
 * part and the encrypted format's 64 KiB chunk, so both stores' part and chunk edges are walked. On
 * SQLite only: this is about the store, not the database.
 */
const STORES: Array<{ name: string; s3: boolean; env: Record<string, string> }> = [
	{ name: 'the local disk', s3: false, env: {} },
	{ name: 'the local disk, encrypted', s3: false, env: { FILES_ENCRYPTION_KEY: KEY } },
	{ name: 'an S3 bucket', s3: true, env: {} }
];

describe.each(STORES)('files on $name (sqlite)', (store) => {
	let t: TestParley;
	let s3: TestS3 | undefined;
	let me: { token: string; user: { id: string } };
	/** Every object the store holds (paths under UPLOAD_DIR, or bucket keys). */
	const stored = async () => (s3 ? s3.keys() : filesUnder(t.parley.config.uploadDir));

	beforeAll(async () => {
		s3 = store.s3 ? await startS3() : undefined;
		t = await startParley('sqlite', {
			env: { ...store.env, ...(s3 ? { FILES_STORE: s3.url } : {}) },
			parley: { limits: { codesPerIp: 10_000 }, filesTiming: { expiryMs: HOUR, sweepIntervalMs: HOUR } }
		});
		me = await t.signUp();
	}, 60_000);
	afterAll(async () => {
		await t?.stop();
		await s3?.stop();
	});

	it('an upload in three PATCHes (3, 6 and 3 MiB) tells its offset after each and downloads byte for byte; a small one in one request too', async () => {
		const data = randomBytes(12 * MiB);
		const created = await create(t, me.token, data.length, { filename: 'big.bin' });
		expect(created.status, created.text).toBe(201);
		const url = created.headers.get('location')!;
		for (const [from, to] of [
			[0, 3 * MiB],
			[3 * MiB, 9 * MiB]
		]) {
			const res = await patch(t, me.token, url, from, data.subarray(from, to));
			expect(res.status, res.text).toBe(204);
			expect(res.headers.get('upload-offset')).toBe(String(to));
			expect((await head(t, me.token, url)).headers.get('upload-offset')).toBe(String(to));
		}
		const last = await patch(t, me.token, url, 9 * MiB, data.subarray(9 * MiB));
		expect(last.status, last.text).toBe(204);
		const fileId = last.headers.get(FILE_ID_HEADER)!;
		const got = await download(t, me.token, fileId);
		expect(got.status).toBe(200);
		expect(got.body.length).toBe(data.length);
		expect(sha256(got.body)).toBe(sha256(data));
		const row = await t.parley.db.db.selectFrom('files').select(['sha256', 'size']).where('id', '=', fileId).executeTakeFirstOrThrow();
		expect([row.sha256, Number(row.size)]).toEqual([sha256(data), data.length]);

		const small = randomBytes(1000);
		const one = await upload(t, me.token, small, { filename: 'small.bin' });
		expect((await download(t, me.token, one.fileId)).body.equals(small)).toBe(true);
	});

	it('a PATCH cut off mid-way: HEAD says what was kept, and the rest from there completes byte for byte', async () => {
		const SIZE = 7 * MiB;
		const CUT = 6 * MiB + 4321;
		const data = randomBytes(SIZE);
		const url = (await create(t, me.token, SIZE, { filename: 'cut.bin' })).headers.get('location')!;
		// Announces every byte, sends CUT of them, then the connection goes: a network lost.
		const req = http.request(`${t.baseUrl}${url}`, {
			method: 'PATCH',
			headers: { authorization: `Bearer ${me.token}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(SIZE) }
		});
		req.on('error', () => undefined);
		await new Promise<void>((resolve) => req.write(data.subarray(0, CUT), () => resolve()));
		await sleep(500);
		req.destroy();
		// The server notices the cut and keeps what it stored; the lock is free once it has.
		let offset = -1;
		for (let i = 0; i < 100; i++) {
			const res = await head(t, me.token, url);
			if (res.status === 200) {
				offset = Number(res.headers.get('upload-offset'));
				if (offset > 0 || i > 20) break;
			}
			await sleep(100);
		}
		expect(offset).toBeGreaterThanOrEqual(0);
		expect(offset).toBeLessThanOrEqual(CUT);
		const rest = await patch(t, me.token, url, offset, data.subarray(offset));
		expect(rest.status, rest.text).toBe(204);
		const got = await download(t, me.token, rest.headers.get(FILE_ID_HEADER)!);
		expect(sha256(got.body)).toBe(sha256(data));
	});

	it('Range: across a 64 KiB chunk and the 5 MiB part edge, a suffix, and one past the end (416)', async () => {
		const data = randomBytes(6 * MiB);
		const url = (await create(t, me.token, data.length, { filename: 'ranges.bin' })).headers.get('location')!;
		await patch(t, me.token, url, 0, data.subarray(0, 5 * MiB));
		const fileId = (await patch(t, me.token, url, 5 * MiB, data.subarray(5 * MiB))).headers.get(FILE_ID_HEADER)!;
		for (const [start, end] of [
			[65_530, 65_545],
			[5 * MiB - 7, 5 * MiB + 70_000],
			[0, 0]
		]) {
			const got = await download(t, me.token, fileId, { range: `bytes=${start}-${end}` });
			expect(got.status).toBe(206);
			expect(got.headers.get('content-range')).toBe(`bytes ${start}-${end}/${data.length}`);
			expect(got.body.equals(data.subarray(start, end + 1))).toBe(true);
		}
		const suffix = await download(t, me.token, fileId, { range: 'bytes=-100' });
		expect(suffix.status).toBe(206);
		expect(suffix.body.equals(data.subarray(data.length - 100))).toBe(true);
		const past = await download(t, me.token, fileId, { range: `bytes=${data.length}-` });
		expect(past.status).toBe(416);
		expect(past.headers.get('content-range')).toBe(`bytes */${data.length}`);
	});

	it("an image's thumbnail and a picture are kept in the same store; a new picture takes the old one's place", async () => {
		const image = await upload(t, me.token, await png(10), { filename: 'p.png', filetype: 'image/png' });
		const thumb = await download(t, me.token, `${image.fileId}/thumbnail`);
		expect(thumb.status).toBe(200);
		expect((await sharp(thumb.body).metadata()).format).toBe('webp');
		expect((await stored()).some((name) => name.includes(`${image.fileId}.webp`))).toBe(true);

		const avatarOf = async () => (await t.parley.db.db.selectFrom('users').select('avatar').where('id', '=', me.user.id).executeTakeFirstOrThrow()).avatar!;
		await uploadAvatar(t, me.token, await png(30));
		const first = await avatarOf();
		const picture = await raw(t, 'GET', `/files/avatars/${first}`, { token: me.token });
		expect(picture.status).toBe(200);
		expect(picture.headers.get('content-type')).toBe('image/webp');
		await uploadAvatar(t, me.token, await png(60));
		const second = await avatarOf();
		expect(second).not.toBe(first);
		expect((await raw(t, 'GET', `/files/avatars/${first}`, { token: me.token })).status).toBe(404);
		expect((await raw(t, 'GET', `/files/avatars/${second}`, { token: me.token })).status).toBe(200);
		const names = await stored();
		expect(names.some((name) => name.includes(first))).toBe(false);
		expect(names.some((name) => name.includes(second))).toBe(true);
	});

	it('delete: the file, its upload record and its thumbnail leave the store', async () => {
		const image = await upload(t, me.token, await png(90), { filename: 'gone.png', filetype: 'image/png' });
		const uploadId = image.url.split('/').pop()!;
		expect((await stored()).filter((name) => name.includes(uploadId) || name.includes(image.fileId)).length).toBeGreaterThanOrEqual(2);
		expect((await t.request('DELETE', `/api/files/${image.fileId}`, { token: me.token })).status).toBe(204);
		expect((await download(t, me.token, image.fileId)).status).toBe(404);
		expect((await stored()).filter((name) => name.includes(uploadId) || name.includes(image.fileId))).toEqual([]);
	});

	it('expiry: the sweep takes an unfinished upload past the expiry out of the store, and leaves finished ones', async () => {
		const kept = await upload(t, me.token, randomBytes(2000), { filename: 'kept.bin' });
		const url = (await create(t, me.token, 6 * MiB, { filename: 'left.bin' })).headers.get('location')!;
		expect((await patch(t, me.token, url, 0, randomBytes(MiB))).status).toBe(204);
		const uploadId = url.split('/').pop()!;
		expect((await stored()).some((name) => name.includes(uploadId))).toBe(true);
		// S3 tells when an object was stored to the second: past a one-second expiry for certain.
		await sleep(2100);
		expect(await t.parley.files!.service.sweep(1000)).toBeGreaterThanOrEqual(1);
		expect((await stored()).filter((name) => name.includes(uploadId))).toEqual([]);
		expect((await head(t, me.token, url)).status).toBe(404);
		expect((await download(t, me.token, kept.fileId)).status).toBe(200);
	});
});

describe('an S3 store and FILES_ENCRYPTION_KEY (sqlite)', () => {
	let t: TestParley;
	let s3: TestS3;
	beforeAll(async () => {
		[t, s3] = await Promise.all([startParley('sqlite'), startS3()]);
	});
	afterAll(async () => {
		await t?.stop();
		await s3?.stop();
	});

	it("with FILES_ENCRYPTION_KEY too, Parley refuses to start and says why (encryption at rest is the local disk's for now)", async () => {
		const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-s3-key-'));
		try {
			await expect(startOn(t, uploadDir, { FILES_STORE: s3.url, FILES_ENCRYPTION_KEY: KEY })).rejects.toThrow(/FILES_STORE is an S3 bucket, and Parley's encryption at rest \(FILES_ENCRYPTION_KEY\) works on the local disk only/);
			// Nothing was written on the way: no key check file, no upload directories.
			expect(filesUnder(uploadDir)).toEqual([]);
		} finally {
			fs.rmSync(uploadDir, { recursive: true, force: true });
		}
	});
});
