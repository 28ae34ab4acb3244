import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person } from '../helpers/chat.js';
import { filesUnder, upload, uploadAvatar } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const HOUR = 3_600_000;

const png = (shade: number) => sharp({ create: { width: 64, height: 64, channels: 3, background: { r: shade, g: 80, b: 160 } } }).png().toBuffer();

/** Makes a stored file look `ms` old to the sweep. */
const age = (file: string, ms: number) => fs.utimesSync(file, new Date(Date.now() - ms), new Date(Date.now() - ms));

// The files role's sweep also removes thumbnails and pictures nothing refers to any more, once older
// than the upload expiry: what a change made without this role leaves (an account deleted on a gateway
// that does not run it). The database is changed directly here, as that gateway's transaction would.
// One database: the sweep's queries are plain `in` lists, run on all three by the account tests' paths.
describe('files: the sweep of unreferenced thumbnails and pictures (sqlite)', () => {
	let t: TestParley;
	beforeAll(async () => {
		t = await startParley('sqlite', { parley: { limits: { codesPerIp: 10_000 }, filesTiming: { expiryMs: HOUR, sweepIntervalMs: HOUR } } });
	});
	afterAll(async () => t?.stop());

	it('removes an old thumbnail whose file row is gone and an old picture no user shows; keeps referenced ones and fresh ones', async () => {
		const [gone, kept] = [await person(t), await person(t)];
		const dir = t.parley.config.uploadDir;
		const thumbs = () => filesUnder(path.join(dir, 'thumbs')).map((p) => path.basename(p));
		const pictures = () => filesUnder(path.join(dir, 'avatars')).map((p) => path.basename(p));

		const a = await upload(t, gone.token, await png(10), { filename: 'a.png', filetype: 'image/png' });
		const b = await upload(t, kept.token, await png(20), { filename: 'b.png', filetype: 'image/png' });
		await uploadAvatar(t, gone.token, await png(30));
		await uploadAvatar(t, kept.token, await png(40));
		const db = t.parley.db.db;
		const avatarOf = async (userId: string) => (await db.selectFrom('users').select('avatar').where('id', '=', userId).executeTakeFirstOrThrow()).avatar!;
		const [goneAvatar, keptAvatar] = [await avatarOf(gone.user.id), await avatarOf(kept.user.id)];
		expect(thumbs().sort()).toEqual([`${a.fileId}.webp`, `${b.fileId}.webp`].sort());
		expect(pictures().sort()).toEqual([`${goneAvatar}.webp`, `${keptAvatar}.webp`].sort());

		// What another process's transaction leaves: the rows go, the bytes stay.
		await db.deleteFrom('files').where('id', '=', a.fileId).execute();
		await db.updateTable('users').set({ avatar: null }).where('id', '=', gone.user.id).execute();

		// Young orphans stay (a picture is written before its row is).
		await t.parley.files!.sweep();
		expect(thumbs()).toContain(`${a.fileId}.webp`);
		expect(pictures()).toContain(`${goneAvatar}.webp`);

		for (const name of thumbs()) age(path.join(dir, 'thumbs', name), 2 * HOUR);
		for (const name of pictures()) age(path.join(dir, 'avatars', name), 2 * HOUR);
		await t.parley.files!.sweep();
		expect(thumbs()).toEqual([`${b.fileId}.webp`]);
		expect(pictures()).toEqual([`${keptAvatar}.webp`]);
		expect((await t.request('GET', `/files/avatars/${keptAvatar}`, { token: kept.token })).status).toBe(200);
	});
});
