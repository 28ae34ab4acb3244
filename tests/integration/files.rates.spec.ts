import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shapeFor } from '../../server/files/pacing/bucket.js';
import { MemoryBuckets } from '../../server/files/pacing/memory-bucket.js';
import { Pacer } from '../../server/files/pacing/pacer.js';
import { RedisBuckets } from '../../server/files/pacing/redis-bucket.js';
import { log } from '../../server/logger.js';
import { REDIS_URL } from '../helpers/backends.js';
import { create, download, filesUnder, head, patch, sha256, startFilesPair, upload, type FilesPair } from '../helpers/files.js';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import { startParley, type TestParley } from '../helpers/parley.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';

/**
 * Transfer rates (FILES_UPLOAD_RATE, FILES_DOWNLOAD_RATE): transfers are paced, not refused. Every
 * time bound here is a LOWER one, which follows from the token bucket itself: a bucket starts with at
 * most one burst (one second's worth) and gains `rate` per second, so N bytes cannot pass in less than
 * (N - burst) / rate, however fast or slow the machine. A slow machine only makes a transfer longer.
 *
 * SQLite only: pacing sits in the byte streams (server/files/pacing) and touches no table, so another
 * database would run the same code. Redis is real: the users' buckets live there in a cluster.
 */
const MiB = 1024 * 1024;
const RATE = MiB; // FILES_*_RATE=1MiB/s; burst = one second's worth
const BURST = shapeFor(RATE).burst;
const seconds = (from: number) => (performance.now() - from) / 1000;

describe('transfer rates on one Parley (no Redis)', () => {
	let t: TestParley;

	beforeAll(async () => {
		t = await startParley('sqlite', { env: { FILES_UPLOAD_RATE: '1MiB/s', FILES_DOWNLOAD_RATE: '1MiB/s' } });
	});
	afterAll(async () => {
		await t?.stop();
	});

	it('paces an upload (one PATCH, tus-js-client) to the rate and keeps it intact, then a download the same', async () => {
		const user = await t.signUp();
		const N = 3 * MiB;
		const data = randomBytes(N);
		const start = performance.now();
		const { fileId } = await upload(t, user.token, data, { filename: 'paced.bin' });
		const took = seconds(start);
		expect(took).toBeGreaterThanOrEqual((N - BURST) / RATE);

		const begun = performance.now();
		const got = await download(t, user.token, fileId);
		const downloadTook = seconds(begun);
		expect(got.status).toBe(200);
		expect(sha256(got.body)).toBe(sha256(data));
		expect(downloadTook).toBeGreaterThanOrEqual((N - BURST) / RATE);
	});

	it('a paced PATCH cut off by its client leaves a clean upload: HEAD answers what was kept, the rest resumes and finishes intact', async () => {
		const user = await t.signUp();
		// 8 MiB at 1 MiB/s take at least 7 s: the cut at 1.5 s comes long before the end, even late.
		const N = 8 * MiB;
		const data = randomBytes(N);
		const created = await create(t, user.token, N, { filename: 'cut.bin' });
		expect(created.status).toBe(201);
		const url = created.headers.get('location')!;
		// Every byte sent at once; the server takes them at 1 MiB/s, and the client goes away after 1.5 s.
		const req = http.request(`${t.baseUrl}${url}`, {
			method: 'PATCH',
			headers: { authorization: `Bearer ${user.token}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(N) }
		});
		req.on('error', () => {});
		req.write(data);
		await new Promise((resolve) => setTimeout(resolve, 1500));
		req.destroy();

		// The HEAD waits for the cut PATCH to let go of the upload: what it kept is on disk, less than all.
		let offset = -1;
		for (let i = 0; i < 100; i++) {
			const h = await head(t, user.token, url);
			expect(h.status).toBe(200);
			offset = Number(h.headers.get('upload-offset'));
			if (offset > 0) break;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		expect(offset).toBeGreaterThan(0);
		expect(offset).toBeLessThan(N);
		const rest = await patch(t, user.token, url, offset, data.subarray(offset));
		expect(rest.status).toBe(204);
		const fileId = rest.headers.get(FILE_ID_HEADER)!;
		// The digest of the bytes on disk (completion hashes the file after a resume), not a paced download.
		const row = await t.parley.db.db.selectFrom('files').select('sha256').where('id', '=', fileId).executeTakeFirstOrThrow();
		expect(row.sha256).toBe(sha256(data));
	});

	it('paces a range download too, and serves exactly the range', async () => {
		const user = await t.signUp();
		const data = randomBytes(BURST / 2);
		const { fileId } = await upload(t, user.token, data, { filename: 'small.bin' });
		const got = await download(t, user.token, fileId, { range: 'bytes=100-199' });
		expect(got.status).toBe(206);
		expect(got.body.equals(data.subarray(100, 200))).toBe(true);
	});
});

describe('transfer rates with the files encrypted at rest', () => {
	let t: TestParley;
	const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-paced-encrypted-'));

	beforeAll(async () => {
		t = await startParley('sqlite', { env: { UPLOAD_DIR: uploadDir, FILES_ENCRYPTION_KEY: randomBytes(32).toString('base64'), FILES_UPLOAD_RATE: '1MiB/s', FILES_DOWNLOAD_RATE: '1MiB/s' } });
	});
	afterAll(async () => {
		await t?.stop();
		fs.rmSync(uploadDir, { recursive: true, force: true });
	});

	it('a paced upload is stored encrypted and intact; a paced Range across chunks gives exactly its bytes', async () => {
		const user = await t.signUp();
		const N = 2 * MiB + 12_345;
		const data = Buffer.alloc(N, 'PACED AND SEALED ');
		const start = performance.now();
		const { fileId } = await upload(t, user.token, data, { filename: 'sealed.txt' });
		expect(seconds(start)).toBeGreaterThanOrEqual((N - BURST) / RATE);
		for (const p of filesUnder(uploadDir).filter((p) => !p.endsWith('.json'))) expect(fs.readFileSync(path.join(uploadDir, p)).includes('PACED AND SEALED')).toBe(false);

		const whole = await download(t, user.token, fileId);
		expect(sha256(whole.body)).toBe(sha256(data));
		// 64 KiB chunks: this range starts in one and ends four later.
		const [from, to] = [65_000, 5 * 65_536 + 10];
		const part = await download(t, user.token, fileId, { range: `bytes=${from}-${to}` });
		expect(part.status).toBe(206);
		expect(part.body.equals(data.subarray(from, to + 1))).toBe(true);
	});
});

describe.skipIf(process.env.TEST_REDIS === '0')('transfer rates on two gateways over one Redis', () => {
	let pair: FilesPair;
	let redis: Redis;

	beforeAll(async () => {
		pair = await startFilesPair('sqlite', { FILES_UPLOAD_RATE: '1MiB/s' });
		redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
		await redis.connect();
	});
	afterAll(async () => {
		await pair?.stop();
		redis?.disconnect();
	});

	it("share one user's upload rate: two uploads at once, one per gateway, take (2N - burst) / rate together; another user draws on a bucket of their own", async () => {
		const { one, two } = pair;
		const a = await one.signUp();
		const b = await one.signUp();
		const N = 2 * MiB;
		const [first, second] = [randomBytes(N), randomBytes(N)];
		const start = performance.now();
		const both = Promise.all([upload(one, a.token, first, { filename: 'one.bin' }), upload(two, a.token, second, { filename: 'two.bin' })]);

		// While a's bucket is being drained, b uploads less than a burst on gateway 2: drawn from b's own
		// bucket (full when b began), not from a's. The state is read from Redis, not timed.
		const small = randomBytes(BURST / 4);
		const { fileId: smallId } = await upload(two, b.token, small, { filename: 'b.bin' });
		const bBucket = await redis.hgetall(`${pair.prefix}files:rate:upload:${b.user.id}`);
		expect(Number(bBucket.tokens)).toBeGreaterThanOrEqual(BURST - small.length);

		const [x, y] = await both;
		expect(seconds(start)).toBeGreaterThanOrEqual((2 * N - BURST) / RATE);
		expect(sha256((await download(one, a.token, x.fileId)).body)).toBe(sha256(first));
		expect(sha256((await download(two, a.token, y.fileId)).body)).toBe(sha256(second));
		expect(sha256((await download(one, b.token, smallId)).body)).toBe(sha256(small));
		expect(await redis.exists(`${pair.prefix}files:rate:upload:${a.user.id}`)).toBe(1);
	});
});

describe.skipIf(process.env.TEST_REDIS === '0')('unlimited by default', () => {
	let t: TestParley;
	let redis: Redis;

	beforeAll(async () => {
		t = await startParley('sqlite', { redis: true });
		redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
		await redis.connect();
	});
	afterAll(async () => {
		await t?.stop();
		redis?.disconnect();
	});

	it('asks no bucket when no rate is set: no key in Redis', async () => {
		const user = await t.signUp();
		const data = randomBytes(2 * MiB);
		const { fileId } = await upload(t, user.token, data);
		expect(sha256((await download(t, user.token, fileId)).body)).toBe(sha256(data));
		expect(await redis.keys(`${t.redisPrefix}files:rate:*`)).toEqual([]);
	});
});

describe.skipIf(process.env.TEST_REDIS === '0')("users' buckets in Redis", () => {
	let privateRedis: PrivateRedis;
	const clients: Redis[] = [];
	const connect = async (url: string) => {
		const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
		client.on('error', () => {});
		await client.connect();
		clients.push(client);
		return client;
	};

	beforeAll(async () => {
		privateRedis = await startPrivateRedis();
	});
	afterAll(async () => {
		for (const c of clients) c.disconnect();
		await privateRedis?.stop();
	});

	it('are one bucket for every connection (gateway): what one took, the other cannot', async () => {
		const shape = shapeFor(RATE);
		const prefix = `rates-${randomBytes(3).toString('hex')}:`;
		const make = async () => new RedisBuckets({ redis: await connect(privateRedis.url), prefix, name: 'up', shape, fallback: new MemoryBuckets(shape), log });
		const [g1, g2] = [await make(), await make()];
		expect((await g1.take('u', BURST)).granted).toBe(BURST);
		// Gateway 2 finds the bucket gateway 1 emptied: at most what refilled since, and a wait.
		const second = await g2.take('u', BURST);
		expect(second.granted).toBeLessThan(BURST);
		expect(second.waitMs).toBeGreaterThan(0);
		// Another user's bucket is full.
		expect((await g2.take('v', BURST)).granted).toBe(BURST);
	});

	it("fall back to the node's own bucket while Redis is down: the transfer goes on, paced, never failed", async () => {
		const shape = shapeFor(64 * 1024);
		const fallback = new MemoryBuckets(shape);
		const buckets = new RedisBuckets({ redis: await connect(privateRedis.url), prefix: 'down:', name: 'up', shape, fallback, log });
		await privateRedis.stop();
		try {
			const pacer = new Pacer([buckets.bucket('u')]);
			const data = randomBytes(200 * 1024);
			const out: Buffer[] = [];
			pacer.on('data', (chunk: Buffer) => out.push(chunk));
			const ended = new Promise((resolve, reject) => pacer.once('end', resolve).once('error', reject));
			const start = performance.now();
			pacer.end(data);
			await ended;
			expect(Buffer.concat(out).equals(data)).toBe(true);
			// Paced by the fallback bucket (64 KiB burst, 64 KiB/s): a lower bound again.
			expect(seconds(start)).toBeGreaterThanOrEqual((data.length - shape.burst) / shape.rate);
			expect(fallback.size).toBe(1);
		} finally {
			await privateRedis.start();
		}
	});
});
