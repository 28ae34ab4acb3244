import { createHash, randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tus from 'tus-js-client';
import { createParley, type Parley } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import { REDIS_URL, type BackendName } from './backends.js';
import { clearRedisPrefix, startParley, type TestParley } from './parley.js';

/** Hex SHA-256 of bytes. */
export const sha256 = (data: Buffer | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** An `Upload-Metadata` header value from plain strings. */
export function metadataHeader(meta: Record<string, string>): string {
	return Object.entries(meta)
		.map(([k, v]) => `${k} ${Buffer.from(v, 'utf8').toString('base64')}`)
		.join(',');
}

export interface RawResponse {
	status: number;
	headers: Headers;
	text: string;
	/** The parsed JSON body, when there is one. */
	json: any;
}

/** One HTTP request as it is (tus headers by hand), with the bearer token when given. */
export async function raw(t: TestParley, method: string, url: string, options: { token?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<RawResponse> {
	const headers: Record<string, string> = { ...options.headers };
	if (options.token) headers.authorization = `Bearer ${options.token}`;
	const body = typeof options.body === 'string' || options.body === undefined ? options.body : new Uint8Array(options.body);
	const res = await fetch(url.startsWith('http') ? url : t.baseUrl + url, { method, headers, body });
	const text = await res.text();
	let json: unknown;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, text, json };
}

/** `POST /files/` creating an upload of `length` bytes; returns the response (Location = its URL). */
export function create(t: TestParley, token: string | undefined, length: number | string, meta: Record<string, string> = { filename: 'f.bin' }, headers: Record<string, string> = {}) {
	return raw(t, 'POST', '/files/', {
		token,
		headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length), ...(Object.keys(meta).length ? { 'upload-metadata': metadataHeader(meta) } : {}), ...headers }
	});
}

/** `PATCH` bytes at `offset` into an upload. */
export function patch(t: TestParley, token: string | undefined, url: string, offset: number, body: Buffer, headers: Record<string, string> = {}) {
	return raw(t, 'PATCH', url, { token, body, headers: { 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...headers } });
}

export function head(t: TestParley, token: string | undefined, url: string) {
	return raw(t, 'HEAD', url, { token, headers: { 'tus-resumable': '1.0.0' } });
}

/** Uploads bytes with tus-js-client; resolves to the upload URL and the finished file's id. */
export function upload(
	t: TestParley,
	token: string,
	data: Buffer,
	options: { filename?: string; filetype?: string; threadId?: string; chunkSize?: number } = {}
): Promise<{ url: string; fileId: string }> {
	const metadata: Record<string, string> = { filename: options.filename ?? 'file.bin' };
	if (options.filetype) metadata.filetype = options.filetype;
	if (options.threadId) metadata.threadId = options.threadId;
	return new Promise((resolve, reject) => {
		const up = new tus.Upload(data, {
			endpoint: `${t.baseUrl}/files/`,
			headers: { authorization: `Bearer ${token}` },
			metadata,
			chunkSize: options.chunkSize ?? Infinity,
			retryDelays: [],
			onError: reject,
			onSuccess: ({ lastResponse }) => resolve({ url: up.url!, fileId: lastResponse.getHeader(FILE_ID_HEADER) ?? '' })
		});
		up.start();
	});
}

/** Downloads a file (or part of it); the body as bytes. */
/** Uploads `data` as the user's picture with tus-js-client; resolves when done, rejects with the server's answer. */
export function uploadAvatar(t: TestParley, token: string, data: Buffer, filetype = 'image/png'): Promise<void> {
	return new Promise((resolve, reject) => {
		const up = new tus.Upload(data, {
			endpoint: `${t.baseUrl}/files/`,
			headers: { authorization: `Bearer ${token}` },
			metadata: { filename: 'me.png', filetype, purpose: 'avatar' },
			retryDelays: [],
			onError: reject,
			onSuccess: () => resolve()
		});
		up.start();
	});
}

export async function download(t: TestParley, token: string | undefined, fileId: string, headers: Record<string, string> = {}) {
	const res = await fetch(`${t.baseUrl}/files/${fileId}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
	return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Every file under a directory, recursively, as paths relative to it. */
export function filesUnder(dir: string): string[] {
	if (!fs.existsSync(dir)) return [];
	return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(dir, p)).isFile()).sort();
}

/** Two gateways running the files role, as a cluster has them; see `startFilesPair`. */
export interface FilesPair {
	/** Started by `startParley` (every role): sign up and sign in here. */
	one: TestParley;
	/** A second Parley (gateway and files roles) on the same database, Redis prefix and UPLOAD_DIR (its own with `sharedDisk: false`). */
	two: TestParley;
	/** The shared UPLOAD_DIR (gateway 1's alone with `sharedDisk: false`). */
	uploadDir: string;
	/** This pair's REDIS_PREFIX. */
	prefix: string;
	stop(): Promise<void>;
}

/**
 * Two Parleys in this process that share what gateways of a cluster share: the database, Redis (under
 * a prefix of their own) and UPLOAD_DIR. Each has its own Redis connections, tus server, locker and
 * memory, so nothing one keeps in memory helps the other. `env` goes to both.
 */
export async function startFilesPair(backend: BackendName, env: Record<string, string> = {}, options: { sharedDisk?: boolean } = {}): Promise<FilesPair> {
	const uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-shared-uploads-'));
	// Without a shared disk (files in an S3 bucket), the second gateway's UPLOAD_DIR is its own.
	const ownDir = options.sharedDisk === false ? fs.mkdtempSync(path.join(os.tmpdir(), 'parley-own-uploads-')) : undefined;
	const prefix = `parley-test:${randomBytes(4).toString('hex')}:`;
	const shared = { REDIS_PREFIX: prefix, UPLOAD_DIR: uploadDir, ...env };
	const one = await startParley(backend, { redis: true, clientIp: `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`, env: { ...shared, NODE_ID: 'gateway-1' } });
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-data-'));
	const parley = await createParley({
		config: loadConfig({
			PORT: '0',
			HOST: '127.0.0.1',
			PUBLIC_URL: 'http://127.0.0.1:9',
			DATABASE_URL: one.database.url,
			SMTP_URL: one.smtp.url,
			DATA_DIR: dataDir,
			NODE_ID: 'gateway-2',
			ROLES: 'gateway,files',
			REDIS_URL,
			...shared,
			...(ownDir ? { UPLOAD_DIR: ownDir } : {})
		})
	});
	const port = await parley.listen();
	const baseUrl = `http://127.0.0.1:${port}`;
	const two: TestParley = {
		...one,
		parley,
		baseUrl,
		request: () => {
			throw new Error('use the helpers of files.ts (raw, create, patch, head) against the second gateway');
		},
		stop: async () => {
			await parley.close();
			fs.rmSync(dataDir, { recursive: true, force: true });
			if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
		}
	};
	return {
		one,
		two,
		uploadDir,
		prefix,
		async stop() {
			await two.stop().catch(() => {});
			await one.stop();
			fs.rmSync(uploadDir, { recursive: true, force: true });
			// Everything the pair kept in Redis is under its own prefix.
			await clearRedisPrefix(prefix);
		}
	};
}

/**
 * Another Parley on `t`'s database and SMTP, with UPLOAD_DIR `uploadDir` (gateway and files roles):
 * a restarted files process, when the one before it is stopped. `env` adds to its environment.
 */
export async function startOn(t: TestParley, uploadDir: string, env: Record<string, string>): Promise<{ parley: Parley; t: TestParley; stop(): Promise<void> }> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-data-'));
	try {
		const parley = await createParley({
			config: loadConfig({ PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: 'http://127.0.0.1:9', DATABASE_URL: t.database.url, SMTP_URL: t.smtp.url, DATA_DIR: dataDir, NODE_ID: 'restarted', ROLES: 'gateway,files', RTMP_PORT: '0', UPLOAD_DIR: uploadDir, ...env })
		});
		const port = await parley.listen();
		return {
			parley,
			t: { ...t, baseUrl: `http://127.0.0.1:${port}` },
			async stop() {
				await parley.close();
				fs.rmSync(dataDir, { recursive: true, force: true });
			}
		};
	} catch (error) {
		fs.rmSync(dataDir, { recursive: true, force: true });
		throw error;
	}
}
