import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_OVERHEAD, CHUNK_SIZE, chunkOffset, hasMagic, storedSize } from '../../server/files/crypto/format.js';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import { create, download, filesUnder, head, patch, raw, sha256, startOn, upload, uploadAvatar } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';
import { startS3, TEST_BUCKET, type TestS3 } from '../helpers/s3.js';

const MiB = 1024 * 1024;
const KEY = randomBytes(32).toString('base64');
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const png = (shade: number) => sharp({ create: { width: 64, height: 64, channels: 3, background: { r: shade, g: 80, b: 160 } } }).png().toBuffer();

/**
 * The contract every store (FILES_STORE) keeps, run against each: the local disk in clear and
 * encrypted, and an S3-compatible bucket (s3rver, in a process of its own), in clear and encrypted. Sizes cross S3's 5 MiB
 * part and the encrypted format's 64 KiB chunk, so both stores' part and chunk edges are walked. On
 * SQLite only: this is about the store, not the database.
 */
const STORES: Array<{ name: string; s3: boolean; env: Record<string, string> }> = [
	{ name: 'the local disk', s3: false, env: {} },
	{ name: 'the local disk, encrypted', s3: false, env: { FILES_ENCRYPTION_KEY: KEY } },
	{ name: 'an S3 bucket', s3: true, env: {} },
	{ name: 'an S3 bucket, encrypted', s3: true, env: { FILES_ENCRYPTION_KEY: KEY } }
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

	it('an empty file: created finished, downloads empty', async () => {
		const empty = await upload(t, me.token, Buffer.alloc(0), { filename: 'empty.bin' });
		const got = await download(t, me.token, empty.fileId);
		expect([got.status, got.body.length]).toEqual([200, 0]);
		expect((await head(t, me.token, empty.url)).headers.get('upload-offset')).toBe('0');
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

describe('an S3 store with FILES_ENCRYPTION_KEY (sqlite)', () => {
	let t: TestParley;
	let s3: TestS3;
	let token: string;
	/** A stored object's bytes, read around Parley. */
	const object = async (key: string) => Buffer.from((await (await s3.client.getObject({ Bucket: TEST_BUCKET, Key: key })).Body!.transformToByteArray()));
	const put = (key: string, body: Buffer) => s3.client.putObject({ Bucket: TEST_BUCKET, Key: key, Body: body });
	/** 64-byte windows of `data` at these offsets. */
	const windows = (data: Buffer, ...at: number[]) => at.map((from) => data.subarray(from, from + 64));

	beforeAll(async () => {
		s3 = await startS3();
		t = await startParley('sqlite', { env: { FILES_STORE: s3.url, FILES_ENCRYPTION_KEY: KEY }, parley: { limits: { codesPerIp: 10_000 } } });
		token = (await t.signUp()).token;
	}, 60_000);
	afterAll(async () => {
		await t?.stop();
		await s3?.stop();
	});

	it("stores none of a known plaintext: not an unfinished upload's .part, not the finished object, not a thumbnail", async () => {
		const data = randomBytes(8 * MiB);
		const url = (await create(t, token, data.length, { filename: 'known.bin' })).headers.get('location')!;
		const id = url.split('/').pop()!;
		// 3 MiB: short of a part, all in `.part`.
		expect((await patch(t, token, url, 0, data.subarray(0, 3 * MiB))).status).toBe(204);
		expect((await head(t, token, url)).headers.get('upload-offset')).toBe(String(3 * MiB));
		const pending = await object(`${id}.part`);
		expect(hasMagic(pending)).toBe(false);
		for (const needle of windows(data, 0, 1000, 3 * MiB - 64)) expect(pending.includes(needle)).toBe(false);
		// 3 MiB + 100 more: 6 MiB go as part 1, the 100 bytes past the last whole chunk wait in `.part`.
		expect((await patch(t, token, url, 3 * MiB, data.subarray(3 * MiB, 6 * MiB + 100))).status).toBe(204);
		expect((await head(t, token, url)).headers.get('upload-offset')).toBe(String(6 * MiB + 100));
		const tail = await object(`${id}.part`);
		expect(tail.length).toBe(100 + CHUNK_OVERHEAD);
		expect(tail.includes(data.subarray(6 * MiB, 6 * MiB + 64))).toBe(false);
		const last = await patch(t, token, url, 6 * MiB + 100, data.subarray(6 * MiB + 100));
		expect(last.status, last.text).toBe(204);
		const got = await download(t, token, last.headers.get(FILE_ID_HEADER)!, { range: `bytes=${6 * MiB - 10}-${6 * MiB + 200}` });
		expect(got.body.equals(data.subarray(6 * MiB - 10, 6 * MiB + 201))).toBe(true);
		const finished = await object(id);
		expect(finished.length).toBe(storedSize(data.length));
		expect(hasMagic(finished)).toBe(true);
		for (const needle of windows(data, 0, 5 * MiB, 6 * MiB + 50, data.length - 64)) expect(finished.includes(needle)).toBe(false);
		expect((await s3.keys()).includes(`${id}.part`)).toBe(false);

		const image = await png(120);
		const picture = await upload(t, token, image, { filename: 'p.png', filetype: 'image/png' });
		const thumb = await download(t, token, `${picture.fileId}/thumbnail`);
		expect(thumb.status).toBe(200);
		expect((await sharp(thumb.body).metadata()).format).toBe('webp');
		const storedThumb = await object(`thumbs/${picture.fileId}.webp`);
		expect(hasMagic(storedThumb)).toBe(true);
		for (const needle of windows(thumb.body, 0, 40, thumb.body.length - 64)) expect(storedThumb.includes(needle)).toBe(false);
		const storedImage = await object(picture.url.split('/').pop()!);
		for (const needle of windows(image, 0, 100)) expect(storedImage.includes(needle)).toBe(false);
	});

	it('an empty file is its header alone; objects stored in clear before the key was set still serve', async () => {
		const empty = await upload(t, token, Buffer.alloc(0), { filename: 'empty.bin' });
		expect((await object(empty.url.split('/').pop()!)).length).toBe(storedSize(0));

		// As a bucket used without FILES_ENCRYPTION_KEY holds them: an upload's object of its plaintext
		// size (the file's row vouches for it), a thumbnail in WebP.
		const data = randomBytes(3 * CHUNK_SIZE + 5);
		const file = await upload(t, token, data);
		await put(file.url.split('/').pop()!, data);
		expect((await download(t, token, file.fileId)).body.equals(data)).toBe(true);
		const picture = await upload(t, token, await png(200), { filename: 'q.png', filetype: 'image/png' });
		const thumb = (await download(t, token, `${picture.fileId}/thumbnail`)).body;
		await put(`thumbs/${picture.fileId}.webp`, thumb);
		const again = await download(t, token, `${picture.fileId}/thumbnail`);
		expect([again.status, again.body.equals(thumb)]).toEqual([200, true]);
		// Anything else without the header is damage, not plaintext: never served.
		await put(file.url.split('/').pop()!, data.subarray(1));
		expect((await download(t, token, file.fileId)).status).toBe(500);
	});

	it('a flipped byte in a stored object gives an error (500, or a body cut off), never other bytes', async () => {
		/** Status 500, or 200 with a body that breaks off: what the download gave of `data`, if anything, is a prefix of it. */
		const fails = async (fileId: string, data: Buffer) => {
			const res = await fetch(`${t.baseUrl}/files/${fileId}`, { headers: { authorization: `Bearer ${token}` } });
			if (res.status === 500) return;
			expect(res.status).toBe(200);
			const body = await res.arrayBuffer().then(
				(bytes) => Buffer.from(bytes),
				() => undefined
			);
			if (body) {
				expect(body.length).toBeLessThan(data.length);
				expect(body.equals(data.subarray(0, body.length))).toBe(true);
			}
		};
		for (const at of [chunkOffset(0) + 500, chunkOffset(18) + 7]) {
			const data = randomBytes(20 * CHUNK_SIZE);
			const { url, fileId } = await upload(t, token, data);
			const key = url.split('/').pop()!;
			const clean = await object(key);
			const damaged = Buffer.from(clean);
			damaged[at] ^= 0x01;
			await put(key, damaged);
			await fails(fileId, data);
			// Put back, the object serves exactly again.
			await put(key, clean);
			expect((await download(t, token, fileId)).body.equals(data)).toBe(true);
		}
	});

	it('the bucket keeps the key check: another gateway on it without the key, or with another one, refuses to start and says why', async () => {
		expect(hasMagic(await object('.encryption'))).toBe(true);
		const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-s3-key-'));
		try {
			await expect(startOn(t, uploadDir, { FILES_STORE: s3.url })).rejects.toThrow(/FILES_ENCRYPTION_KEY is not set, but the files in the bucket "parley-test" at http:\/\/127\.0\.0\.1:\d+ are encrypted/);
			await expect(startOn(t, uploadDir, { FILES_STORE: s3.url, FILES_ENCRYPTION_KEY: randomBytes(32).toString('base64') })).rejects.toThrow(/FILES_ENCRYPTION_KEY does not match the key the files were encrypted with \(in the bucket "parley-test"/);
			const same = await startOn(t, uploadDir, { FILES_STORE: s3.url, FILES_ENCRYPTION_KEY: KEY });
			await same.stop();
		} finally {
			fs.rmSync(uploadDir, { recursive: true, force: true });
		}
	});
});
