import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { person, type Person } from '../helpers/chat.js';
import { create, download, filesUnder, head, patch, sha256 } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/small-disk.js';

const MiB = 1024 * 1024;

// docs/PROTOCOL.md, errors: `insufficient_storage` 507. UPLOAD_DIR on a real 1-MiB file system (a tmpfs)
// that a 2-MiB upload fills: the PATCH gets a clear 507, keeps what was written, and resumes once the
// disk has room again; a creation on a full disk gets 507 and leaves nothing behind.
describe.each(backendNames())('files: the disk for uploads full (%s)', (backend) => {
	let disk: SmallDisk;
	let t: TestParley;
	let alice: Person;

	beforeAll(async () => {
		disk = mountSmallDisk(MiB);
		t = await startParley(backend, { env: { UPLOAD_DIR: disk.dir }, parley: { limits: { codesPerIp: 10_000 } } });
		alice = await person(t);
	});
	afterAll(async () => {
		await t?.stop();
		disk?.unmount();
	});

	it('a PATCH that fills the disk is 507 insufficient_storage; the bytes before it are kept and the upload resumes once there is room', async () => {
		const bytes = randomBytes(2 * MiB);
		const created = await create(t, alice.token, bytes.length, { filename: 'big.bin' });
		expect(created.status).toBe(201);
		const url = created.headers.get('location')!;

		const full = await patch(t, alice.token, url, 0, bytes);
		expect(full.status).toBe(507);
		expect(full.headers.get('content-type')).toMatch(/^application\/json/);
		expect(full.json.error.code).toBe('insufficient_storage');
		expect(full.json.error.message).toMatch(/no disk space left/);

		const kept = Number((await head(t, alice.token, url)).headers.get('upload-offset'));
		expect(kept).toBeGreaterThan(0);
		expect(kept).toBeLessThan(bytes.length);
		// Still full: the rest is refused the same way, and the offset does not move backwards.
		const again = await patch(t, alice.token, url, kept, bytes.subarray(kept));
		expect(again.status).toBe(507);
		const stillKept = Number((await head(t, alice.token, url)).headers.get('upload-offset'));
		expect(stillKept).toBeGreaterThanOrEqual(kept);

		// The operator makes room; the client resumes from the server's offset.
		disk.resize(8 * MiB);
		const done = await patch(t, alice.token, url, stillKept, bytes.subarray(stillKept));
		expect(done.status).toBe(204);
		const fileId = done.headers.get('parley-file-id') ?? done.headers.get('Parley-File-Id');
		expect(fileId).toBeTruthy();
		const got = await download(t, alice.token, fileId!);
		expect(got.status).toBe(200);
		expect(sha256(got.body)).toBe(sha256(bytes));
	});

	it('creating an upload on a full disk is 507 and leaves nothing behind', async () => {
		const filler = path.join(disk.dir, 'filler');
		fs.writeFileSync(filler, Buffer.alloc(0));
		// Fill what is left, to the last block.
		const fd = fs.openSync(filler, 'a');
		try {
			const block = Buffer.alloc(64 * 1024);
			for (;;) fs.writeSync(fd, block.subarray(0, Math.min(block.length, Math.max(disk.free(), 1))));
		} catch (error) {
			expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
		} finally {
			fs.closeSync(fd);
		}
		const before = filesUnder(path.join(disk.dir, 'tus'));
		const refused = await create(t, alice.token, 1000, { filename: 'small.bin' });
		expect(refused.status).toBe(507);
		expect(refused.json.error.code).toBe('insufficient_storage');
		expect(filesUnder(path.join(disk.dir, 'tus'))).toEqual(before);

		fs.rmSync(filler);
		const created = await create(t, alice.token, 1000, { filename: 'small.bin' });
		expect(created.status).toBe(201);
	});

	it('a picture whose upload fits but whose resized copy does not is 507, not "not an image"; the old picture stays and nothing is left behind', async () => {
		const png = await sharp(randomBytes(300 * 300 * 3), { raw: { width: 300, height: 300, channels: 3 } }).png().toBuffer();
		const created = await create(t, alice.token, png.length, { filename: 'me.png', filetype: 'image/png', purpose: 'avatar' });
		expect(created.status).toBe(201);
		const url = created.headers.get('location')!;
		// Room for the upload's bytes and a page or two more: the picture (noise, tens of KiB) does not fit.
		const filler = path.join(disk.dir, 'filler');
		fs.writeFileSync(filler, Buffer.alloc(Math.max(0, disk.free() - png.length - 3 * 4096)));
		const before = { me: (await t.request('GET', '/api/me', { token: alice.token })).body.user.avatarUrl, avatars: filesUnder(path.join(disk.dir, 'avatars')) };
		try {
			const res = await patch(t, alice.token, url, 0, png);
			expect(res.status).toBe(507);
			expect(res.json.error.code).toBe('insufficient_storage');
			expect((await t.request('GET', '/api/me', { token: alice.token })).body.user.avatarUrl).toBe(before.me);
			expect(filesUnder(path.join(disk.dir, 'avatars'))).toEqual(before.avatars);
		} finally {
			fs.rmSync(filler);
		}
	});
});
