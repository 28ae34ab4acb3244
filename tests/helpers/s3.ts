import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3 } from '@aws-sdk/client-s3';

/** s3rver's fixed credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const TEST_BUCKET = 'parley-test';

/** An S3-compatible server in a process of its own, its bucket empty at start. */
export interface TestS3 {
	/** FILES_STORE for Parley. */
	url: string;
	/** A client of the bucket, to look at what is stored. */
	client: S3;
	/** Every key in the bucket, sorted. */
	keys(): Promise<string[]>;
	stop(): Promise<void>;
}

/**
 * Starts `s3rver` (npm; the S3-compatible server that installs here: neither MinIO nor Garage is in
 * Debian 12 or npm, and Ceph's gateway needs a Ceph cluster), with the multipart calls it lacks
 * (s3rver-process.mjs), on a free port with the bucket `parley-test`, its data in a temporary
 * directory removed on stop.
 */
export async function startS3(): Promise<TestS3> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-s3-'));
	const script = fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url));
	const child: ChildProcess = spawn(process.execPath, [script, dir, TEST_BUCKET], { stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	const port = await new Promise<number>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`s3rver did not start within 20 s: ${output}`)), 20_000);
		const seen = (chunk: Buffer) => {
			output += chunk.toString();
			const match = /listening on [\d.]+:(\d+)/.exec(output);
			if (match) {
				clearTimeout(timer);
				resolve(Number(match[1]));
			}
		};
		child.stdout!.on('data', seen);
		child.stderr!.on('data', seen);
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`s3rver exited (${code}) before listening: ${output}`));
		});
	});
	const endpoint = `http://127.0.0.1:${port}`;
	const client = new S3({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
	return {
		url: `s3://${CREDENTIALS.accessKeyId}:${CREDENTIALS.secretAccessKey}@127.0.0.1:${port}/${TEST_BUCKET}?tls=false`,
		client,
		async keys() {
			const keys: string[] = [];
			let token: string | undefined;
			do {
				const page = await client.listObjectsV2({ Bucket: TEST_BUCKET, ContinuationToken: token });
				for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
				token = page.IsTruncated ? page.NextContinuationToken : undefined;
			} while (token);
			return keys.sort();
		},
		async stop() {
			client.destroy();
			if (child.exitCode === null) {
				const exited = new Promise((resolve) => child.once('exit', resolve));
				child.kill('SIGTERM');
				await exited;
			}
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}
