import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import { create, download, filesUnder, head, patch, raw, sha256, startFilesPair, upload, uploadAvatar, type FilesPair } from '../helpers/files.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const MiB = 1024 * 1024;
const png = (shade: number) => sharp({ create: { width: 64, height: 64, channels: 3, background: { r: shade, g: 80, b: 160 } } }).png().toBuffer();

/**
 * Two gateways of one cluster with files in one S3 bucket and no disk in common: each has an
 * UPLOAD_DIR of its own, and nothing of a file may be found in either. They share the database and
 * Redis (the tus lock), as gateways do. On SQLite: this is about the store, not the database.
 */
describe.skipIf(process.env.TEST_REDIS === '0')('files on two gateways sharing an S3 bucket and no disk (sqlite)', () => {
	let s3: TestS3;
	let pair: FilesPair;
	/** What either gateway keeps on its own disk, apart from the encryption check file. */
	const onDisks = () => [...filesUnder(pair.uploadDir), ...filesUnder(pair.two.parley.config.uploadDir)];

	beforeAll(async () => {
		s3 = await startS3();
		pair = await startFilesPair('sqlite', { FILES_STORE: s3.url }, { sharedDisk: false });
		expect(pair.two.parley.config.uploadDir).not.toBe(pair.uploadDir);
	}, 60_000);
	afterAll(async () => {
		await pair?.stop();
		await s3?.stop();
	});

	it('an upload begun on gateway 1 resumes on gateway 2 from the offset the bucket holds, and downloads byte for byte from either', async () => {
		const { one, two } = pair;
		const { token } = await one.signUp();
		const data = randomBytes(12 * MiB);
		const url = (await create(one, token, data.length, { filename: 'across.bin' })).headers.get('location')!;
		// 6 MiB: short of a part, so it waits in the bucket as the upload's `.part`.
		expect((await patch(one, token, url, 0, data.subarray(0, 6 * MiB))).status).toBe(204);
		const told = await head(two, token, url);
		expect(told.status).toBe(200);
		expect(told.headers.get('upload-offset')).toBe(String(6 * MiB));
		const last = await patch(two, token, url, 6 * MiB, data.subarray(6 * MiB));
		expect(last.status, last.text).toBe(204);
		const fileId = last.headers.get(FILE_ID_HEADER)!;
		for (const gateway of [one, two]) {
			const got = await download(gateway, token, fileId);
			expect(got.status).toBe(200);
			expect(sha256(got.body)).toBe(sha256(data));
		}
		const ranged = await download(two, token, fileId, { range: `bytes=${8 * MiB - 10}-${8 * MiB + 10}` });
		expect(ranged.body.equals(data.subarray(8 * MiB - 10, 8 * MiB + 11))).toBe(true);
		const uploadId = url.split('/').pop()!;
		expect((await s3.keys()).filter((key) => key.startsWith(uploadId))).toEqual([uploadId, `${uploadId}.info`]);
		expect(onDisks().filter((name) => name.includes(uploadId))).toEqual([]);
	});

	it("a thumbnail made on one gateway and a picture set on the other are served by both; a delete on either is gone for both", async () => {
		const { one, two } = pair;
		const me = await one.signUp();
		const image = await upload(two, me.token, await png(20), { filename: 'p.png', filetype: 'image/png' });
		for (const gateway of [one, two]) expect((await download(gateway, me.token, `${image.fileId}/thumbnail`)).status).toBe(200);
		await uploadAvatar(one, me.token, await png(40));
		const avatar = (await one.parley.db.db.selectFrom('users').select('avatar').where('id', '=', me.user.id).executeTakeFirstOrThrow()).avatar!;
		for (const gateway of [one, two]) expect((await raw(gateway, 'GET', `/files/avatars/${avatar}`, { token: me.token })).status).toBe(200);

		expect((await raw(two, 'DELETE', `/api/files/${image.fileId}`, { token: me.token })).status).toBe(204);
		for (const gateway of [one, two]) expect((await download(gateway, me.token, image.fileId)).status).toBe(404);
		const uploadId = image.url.split('/').pop()!;
		expect((await s3.keys()).filter((key) => key.includes(uploadId) || key.includes(image.fileId))).toEqual([]);
		expect(onDisks().filter((name) => !name.endsWith('.encryption'))).toEqual([]);
	});
});
