// Upload throughput: tus (tus-js-client against the real Parley server, /files/) as a ratio to a plain
// streaming HTTP PUT to disk on the same machine, in the same run. Both clients stream the same file
// of random bytes from disk over loopback, in this process; the plain server pipes the request into a
// file and nothing else. tus's time runs from the creation POST to the last PATCH's answer, so it
// includes completion (digest, type sniffing, the files row). The tus cases run again against a Parley
// with FILES_ENCRYPTION_KEY (files encrypted at rest), and one finished file of each is downloaded
// (GET, whole body) to compare reading clear with decrypting. Then the same against Parleys keeping
// their files in an S3 bucket (FILES_STORE; s3rver, in a process of its own, one bucket each), with
// the SDK's own PutObject and GetObject of the same bytes to that server as their baseline: the S3
// server's cost is in both, so the ratio is what Parley adds on the way. Each case runs `runs` times;
// the median counts. Writes bench/results/upload.json and prints a table.
//
//   npm run bench -- upload [--quick]      (quick: 64 MiB and 2 runs instead of 512 MiB and 3)
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tus from 'tus-js-client';
import { startParley } from '../tests/helpers/parley.js';
import { startS3, TEST_BUCKET } from '../tests/helpers/s3.js';

const quick = process.argv.includes('--quick');
const MiB = 1024 * 1024;
const size = (quick ? 64 : 512) * MiB;
const runs = quick ? 2 : 3;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-upload-'));
const source = path.join(work, 'source.bin');

async function writeSource(): Promise<void> {
	const out = fs.createWriteStream(source);
	for (let left = size; left > 0; left -= 4 * MiB) {
		if (!out.write(randomBytes(Math.min(4 * MiB, left)))) await new Promise<void>((r) => out.once('drain', () => r()));
	}
	await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** A server that streams each PUT body into a new file: the floor any upload path stands on. */
async function plainServer(): Promise<{ url: string; close(): Promise<void> }> {
	let n = 0;
	const server = http.createServer((req, res) => {
		const file = path.join(work, `plain-${n++}.bin`);
		pipeline(req, fs.createWriteStream(file))
			.then(() => fs.promises.rm(file))
			.then(() => res.writeHead(204).end())
			.catch(() => res.writeHead(500).end());
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function plainPut(url: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method: 'PUT', headers: { 'content-length': size, 'content-type': 'application/octet-stream' } }, (res) => {
			res.resume();
			res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`PUT answered ${res.statusCode}`))));
		});
		req.on('error', reject);
		fs.createReadStream(source).pipe(req);
	});
}

function tusUpload(endpoint: string, token: string, chunkSize: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const upload = new tus.Upload(fs.createReadStream(source), {
			endpoint,
			chunkSize,
			headers: { authorization: `Bearer ${token}` },
			metadata: { filename: 'bench.bin', filetype: 'application/octet-stream' },
			retryDelays: [],
			onError: reject,
			onSuccess: () => resolve()
		});
		upload.start();
	});
}

async function time(run: () => Promise<void>): Promise<number> {
	const start = process.hrtime.bigint();
	await run();
	return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
	const loadBefore = os.loadavg()[0];
	await writeSource();
	const plain = await plainServer();
	const limits = { MAX_UPLOAD_BYTES: String(2 * size), UPLOAD_QUOTA_BYTES: String(1024 ** 4) };
	const parley = await startParley('sqlite', { env: limits });
	const sealed = await startParley('sqlite', { env: { ...limits, FILES_ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
	// A bucket each: the encrypted one's key check would refuse the other.
	const [bucket, sealedBucket] = await Promise.all([startS3(), startS3()]);
	const inBucket = await startParley('sqlite', { env: { ...limits, FILES_STORE: bucket.url } });
	const sealedInBucket = await startParley('sqlite', { env: { ...limits, FILES_STORE: sealedBucket.url, FILES_ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
	const rows: Array<{ case: string; chunkSize: string; seconds: number[]; mibPerSecond: number; ratio?: number; s3Ratio?: number }> = [];
	const downloads: Array<{ case: string; seconds: number[]; mibPerSecond: number }> = [];
	try {
		const user = await parley.signUp();
		const sealedUser = await sealed.signUp();
		const [bucketUser, sealedBucketUser] = [await inBucket.signUp(), await sealedInBucket.signUp()];
		const endpoint = `${parley.baseUrl}/files/`;
		const sealedEndpoint = `${sealed.baseUrl}/files/`;
		let direct = 0;
		const putDirect = async () => {
			await bucket.client.putObject({ Bucket: TEST_BUCKET, Key: `direct-${direct}`, Body: fs.createReadStream(source), ContentLength: size });
			await bucket.client.deleteObject({ Bucket: TEST_BUCKET, Key: `direct-${direct++}` });
		};
		const cases: Array<{ name: string; chunk: string; run: () => Promise<void> }> = [
			{ name: 'plain PUT', chunk: '-', run: () => plainPut(plain.url) },
			{ name: 'tus', chunk: 'unlimited', run: () => tusUpload(endpoint, user.token, Infinity) },
			{ name: 'tus', chunk: '50 MiB', run: () => tusUpload(endpoint, user.token, 50 * MiB) },
			{ name: 'tus', chunk: '5 MiB', run: () => tusUpload(endpoint, user.token, 5 * MiB) },
			{ name: 'tus, encrypted at rest', chunk: 'unlimited', run: () => tusUpload(sealedEndpoint, sealedUser.token, Infinity) },
			{ name: 'tus, encrypted at rest', chunk: '5 MiB', run: () => tusUpload(sealedEndpoint, sealedUser.token, 5 * MiB) },
			{ name: 'S3 PutObject, direct (SDK)', chunk: '-', run: putDirect },
			{ name: 'tus, S3 bucket', chunk: 'unlimited', run: () => tusUpload(`${inBucket.baseUrl}/files/`, bucketUser.token, Infinity) },
			{ name: 'tus, S3 bucket, encrypted at rest', chunk: 'unlimited', run: () => tusUpload(`${sealedInBucket.baseUrl}/files/`, sealedBucketUser.token, Infinity) }
		];
		// One warm-up of each, not counted: the first run pays for JIT and cold caches. Then the cases
		// take turns, so a machine that gets busier or quieter during the run weighs on all of them.
		for (const c of cases) await c.run();
		const seconds = cases.map(() => [] as number[]);
		for (let i = 0; i < runs; i++) {
			for (const [k, c] of cases.entries()) seconds[k].push(await time(c.run));
		}
		for (const [k, c] of cases.entries()) rows.push({ case: c.name, chunkSize: c.chunk, seconds: seconds[k], mibPerSecond: size / MiB / median(seconds[k]) });
		await bucket.client.putObject({ Bucket: TEST_BUCKET, Key: 'direct', Body: fs.createReadStream(source), ContentLength: size });
		const times: number[] = [];
		for (let i = 0; i <= runs; i++) {
			const s = await time(async () => {
				const { Body } = await bucket.client.getObject({ Bucket: TEST_BUCKET, Key: 'direct' });
				let bytes = 0;
				for await (const part of Body as AsyncIterable<Uint8Array>) bytes += part.length;
				if (bytes !== size) throw new Error(`GetObject gave ${bytes} bytes, not ${size}`);
			});
			if (i > 0) times.push(s);
		}
		downloads.push({ case: 'S3 GetObject, direct (SDK)', seconds: times, mibPerSecond: size / MiB / median(times) });
		for (const [name, t, token] of [
			['GET, clear', parley, user.token],
			['GET, encrypted at rest', sealed, sealedUser.token],
			['GET, S3 bucket', inBucket, bucketUser.token],
			['GET, S3 bucket, encrypted at rest', sealedInBucket, sealedBucketUser.token]
		] as const) {
			const file = await t.parley.db.db.selectFrom('files').select('id').limit(1).executeTakeFirstOrThrow();
			const times: number[] = [];
			for (let i = 0; i <= runs; i++) {
				const s = await time(() => fetchAll(`${t.baseUrl}/files/${file.id}`, token));
				if (i > 0) times.push(s);
			}
			downloads.push({ case: name, seconds: times, mibPerSecond: size / MiB / median(times) });
		}
		// Each finished tus upload is a file of this user; they are not needed after timing.
		for (const t of [parley, sealed, inBucket, sealedInBucket]) await t.parley.db.db.deleteFrom('files').execute();
	} finally {
		for (const t of [parley, sealed, inBucket, sealedInBucket]) await t.stop();
		await Promise.all([bucket.stop(), sealedBucket.stop()]);
		await plain.close();
		fs.rmSync(work, { recursive: true, force: true });
	}
	const base = rows[0].mibPerSecond;
	const s3Base = rows.find((r) => r.case.startsWith('S3 PutObject'))!.mibPerSecond;
	for (const row of rows) {
		row.ratio = row.mibPerSecond / base;
		if (row.case.includes('S3')) row.s3Ratio = row.mibPerSecond / s3Base;
	}
	const result = {
		scenario: 'upload',
		quick,
		bytes: size,
		runs,
		// Other work on the machine skews everything: the load average before and after says how much.
		loadAverage: { before: loadBefore, after: os.loadavg()[0] },
		machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 1024 ** 3), node: process.version, platform: `${os.platform()} ${os.release()}` },
		at: new Date().toISOString(),
		rows: rows.map((r) => ({
			...r,
			mibPerSecond: Math.round(r.mibPerSecond),
			ratio: Math.round((r.ratio ?? 0) * 100) / 100,
			...(r.s3Ratio === undefined ? {} : { s3Ratio: Math.round(r.s3Ratio * 100) / 100 }),
			seconds: r.seconds.map((s) => Math.round(s * 1000) / 1000)
		})),
		downloads: downloads.map((d) => ({ ...d, mibPerSecond: Math.round(d.mibPerSecond), seconds: d.seconds.map((s) => Math.round(s * 1000) / 1000) }))
	};
	fs.mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
	fs.writeFileSync(path.join(import.meta.dirname, 'results', 'upload.json'), `${JSON.stringify(result, null, 2)}\n`);
	console.log(`upload of ${size / MiB} MiB over loopback, median of ${runs} (${result.machine.cpus} × ${result.machine.cpu}, Node ${process.version}, load ${loadBefore.toFixed(1)} → ${result.loadAverage.after.toFixed(1)})`);
	console.log('| case | chunk size | MiB/s | ratio to plain PUT | ratio to S3 PutObject |');
	console.log('|---|---|---|---|---|');
	for (const r of result.rows) console.log(`| ${r.case} | ${r.chunkSize} | ${r.mibPerSecond} | ${r.ratio.toFixed(2)} | ${r.s3Ratio?.toFixed(2) ?? '-'} |`);
	console.log('\n| download (one finished file) | MiB/s |');
	console.log('|---|---|');
	for (const d of result.downloads) console.log(`| ${d.case} | ${d.mibPerSecond} |`);
}

/** GETs a URL and reads its body to the end without keeping it. */
async function fetchAll(url: string, token: string): Promise<void> {
	const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
	if (res.status !== 200 || !res.body) throw new Error(`GET ${url} answered ${res.status}`);
	let bytes = 0;
	const reader = res.body.getReader();
	for (let part = await reader.read(); !part.done; part = await reader.read()) bytes += part.value.length;
	if (bytes !== size) throw new Error(`GET ${url} gave ${bytes} bytes, not ${size}`);
}

await main();
