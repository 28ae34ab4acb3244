import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import { backendNames, REDIS_URL } from '../helpers/backends.js';
import { create, download, head, patch, raw, sha256, startFilesPair, type FilesPair } from '../helpers/files.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const QUOTA = 10_000_000;

/**
 * Uploads on two gateways of one cluster (two Parleys sharing the database, Redis and UPLOAD_DIR, each
 * with its own memory and Redis connections): the tus lock and the quota's creation lock and
 * reservations have to be in Redis for these to pass. `TEST_REDIS=0` (no Redis) skips them.
 */
describe.skipIf(process.env.TEST_REDIS === '0').each(backendNames())('files on two gateways (%s)', (backend) => {
	let pair: FilesPair;
	let redis: Redis;

	beforeAll(async () => {
		pair = await startFilesPair(backend, { UPLOAD_QUOTA_BYTES: String(QUOTA) });
		redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
		await redis.connect();
	});
	afterAll(async () => {
		await pair?.stop();
		redis?.disconnect();
	});

	it('an upload cut on gateway 1 while its PATCH hangs resumes on gateway 2 and completes byte for byte', async () => {
		const { one, two } = pair;
		const { token } = await one.signUp();
		const SIZE = 6 * 1024 * 1024;
		const CUT = 2 * 1024 * 1024 + 12_345;
		const data = randomBytes(SIZE);
		const created = await create(one, token, SIZE, { filename: 'across.bin' });
		expect(created.status).toBe(201);
		const url = created.headers.get('location')!;
		const id = url.split('/').pop()!;

		// The first PATCH announces every byte, sends part of them and then goes silent: a client whose
		// network went away, its connection still open on gateway 1 and holding the upload's lock.
		const hung = http.request(`${one.baseUrl}${url}`, {
			method: 'PATCH',
			headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(SIZE) }
		});
		const hungEnded = new Promise<string>((resolve) => {
			hung.on('response', (res) => {
				res.resume();
				resolve(`answered ${res.statusCode}`);
			});
			hung.on('error', (error) => resolve(`failed: ${error.message}`));
		});
		try {
			hung.write(data.subarray(0, CUT));
			const bytes = path.join(pair.uploadDir, 'tus', id);
			for (let i = 0; i < 600 && (fs.existsSync(bytes) ? fs.statSync(bytes).size : 0) < CUT; i++) await sleep(50);
			expect(fs.statSync(bytes).size).toBe(CUT);

			// The client resumes on gateway 2: its HEAD waits for the lock, which gateway 1 gives up by
			// cancelling the hung PATCH (with a lock in one process's memory, gateway 2 would not even ask).
			const offset = await head(two, token, url);
			expect(offset.status).toBe(200);
			expect(Number(offset.headers.get('upload-offset'))).toBe(CUT);
			expect(await Promise.race([hungEnded, sleep(20_000).then(() => 'still hanging after 20 s')])).toMatch(/^(answered|failed)/);
		} finally {
			hung.destroy();
		}

		const rest = await patch(two, token, url, CUT, data.subarray(CUT));
		expect(rest.status).toBe(204);
		expect(Number(rest.headers.get('upload-offset'))).toBe(SIZE);
		const fileId = rest.headers.get(FILE_ID_HEADER)!;
		expect(fileId).toBeTruthy();
		for (const gateway of [one, two]) {
			const got = await download(gateway, token, fileId);
			expect(got.status).toBe(200);
			expect(got.body.length).toBe(SIZE);
			expect(sha256(got.body)).toBe(sha256(data));
		}
		// The lock went with the requests.
		expect(await redis.exists(`${pair.prefix}tus:lock:${id}`)).toBe(0);
	});

	it('two creations by one user on the two gateways at once that together pass the quota: exactly one is refused', async () => {
		const { one, two } = pair;
		const { token, user } = await one.signUp();
		const SIZE = 6_000_000;
		// Several rounds: a race the gateways lost by luck once would show in one of them.
		for (let round = 0; round < 5; round++) {
			const answers = await Promise.all([create(one, token, SIZE, { filename: `a${round}.bin` }), create(two, token, SIZE, { filename: `b${round}.bin` })]);
			const statuses = answers.map((a) => a.status).sort();
			expect(statuses, `round ${round}`).toEqual([201, 413]);
			const refused = answers.find((a) => a.status === 413)!;
			expect(refused.json.error.code).toBe('quota_exceeded');
			const accepted = answers.find((a) => a.status === 201)!;
			// No reservation is left once the creations are answered: the upload's record counts now.
			expect(await redis.hlen(`${pair.prefix}files:reserved:${user.id}`)).toBe(0);
			const gone = await raw(two, 'DELETE', accepted.headers.get('location')!, { token, headers: { 'tus-resumable': '1.0.0' } });
			expect(gone.status).toBe(204);
		}
	});

	it("the expiry sweep of one gateway leaves an upload alone while another gateway holds its lock", async () => {
		const { one, two } = pair;
		const { token } = await one.signUp();
		const created = await create(one, token, 1000, { filename: 'old.bin' });
		expect(created.status).toBe(201);
		const id = created.headers.get('location')!.split('/').pop()!;
		expect((await patch(one, token, created.headers.get('location')!, 0, randomBytes(100))).status).toBe(204);
		// Made older than the expiry (24 h by default) by its record, as if the client had gone quiet.
		const record = path.join(pair.uploadDir, 'tus', `${id}.json`);
		const json = JSON.parse(fs.readFileSync(record, 'utf8'));
		fs.writeFileSync(record, JSON.stringify({ ...json, creation_date: new Date(Date.now() - 48 * 3_600_000).toISOString() }));
		// A request on gateway 1 holds the lock (it is finishing or writing the upload right now).
		const lock = `${pair.prefix}tus:lock:${id}`;
		await redis.set(lock, 'a-request-on-gateway-1', 'PX', 30_000);
		expect(await two.parley.files!.sweep()).toBe(0);
		expect(fs.existsSync(path.join(pair.uploadDir, 'tus', id))).toBe(true);
		await redis.del(lock);
		expect(await two.parley.files!.sweep()).toBe(1);
		expect(fs.existsSync(path.join(pair.uploadDir, 'tus', id))).toBe(false);
		expect(fs.existsSync(record)).toBe(false);
		expect(await redis.exists(lock)).toBe(0);
	});

	it('a reservation a dead gateway left counts against the quota until it expires', async () => {
		const { one, two } = pair;
		const { token, user } = await one.signUp();
		const key = `${pair.prefix}files:reserved:${user.id}`;
		await redis.hset(key, `${user.id}_${'0'.repeat(24)}`, `9000000 ${Date.now() + 1_500}`);
		const refused = await create(two, token, 2_000_000);
		expect(refused.status).toBe(413);
		expect(refused.json.error.code).toBe('quota_exceeded');
		await sleep(1_600);
		const accepted = await create(one, token, 2_000_000);
		expect(accepted.status).toBe(201);
		expect(await redis.hlen(key)).toBe(0);
	});
});
