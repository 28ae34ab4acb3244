import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.js';
import { send } from '../http/http.js';
import { contentDisposition, isActiveType, UNKNOWN_TYPE } from './content.js';
import { DecryptError } from './crypto/format.js';
import type { StoredFile } from './crypto/stored.js';

/** What a download serves: the bytes on disk and what the headers say about them. */
export interface Servable {
	/** The file, opened (`openStored`): `serve` closes it. */
	source: StoredFile;
	/** Plaintext bytes. */
	size: number;
	type: string;
	/** Strong validator, quoted. */
	etag: string;
	lastModified: Date;
	/** `attachment` with this name, or inline when absent (thumbnails). */
	downloadName?: string;
	cacheControl: string;
	/** Paces the bytes sent (server/files/pacing); none when unpaced. */
	pace?: () => Transform | undefined;
}

/**
 * Serves a file for GET or HEAD: `If-None-Match` (304), a single `Range` (206, or 416 when it cannot
 * be met) honoured only while `If-Range` still matches, `Accept-Ranges`, and headers that keep a
 * browser from rendering anything: `nosniff`, a sandboxing CSP, attachment unless told otherwise. A
 * request for several ranges gets the whole file (200), which HTTP allows.
 */
export async function serve(req: IncomingMessage, res: ServerResponse, file: Servable): Promise<void> {
	try {
		await answer(req, res, file);
	} finally {
		await file.source.close();
	}
}

async function answer(req: IncomingMessage, res: ServerResponse, file: Servable): Promise<void> {
	const headers: Record<string, string> = {
		etag: file.etag,
		'last-modified': file.lastModified.toUTCString(),
		'accept-ranges': 'bytes',
		'cache-control': file.cacheControl,
		...servedAs(file),
		'x-content-type-options': 'nosniff',
		'content-security-policy': "default-src 'none'; sandbox",
		'cross-origin-resource-policy': 'same-origin'
	};

	if (noneMatch(req.headers['if-none-match'], file.etag)) {
		const { 'content-type': _type, 'content-disposition': _disposition, ...rest } = headers;
		res.writeHead(304, rest).end();
		return;
	}

	const ifRange = req.headers['if-range'];
	const range = req.headers.range !== undefined && ifRangeHolds(Array.isArray(ifRange) ? ifRange[0] : ifRange, file) ? parseRange(req.headers.range, file.size) : null;
	if (range === 'unsatisfiable') {
		const error = new AppError('range_not_satisfiable', `the file has ${file.size} bytes; the range "${req.headers.range}" is outside it`);
		send(res, { status: 416, headers: { 'content-range': `bytes */${file.size}`, 'accept-ranges': 'bytes' }, body: { error: error.toBody() } });
		return;
	}
	const start = range?.start ?? 0;
	const end = range?.end ?? file.size - 1;
	if (range) headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
	headers['content-length'] = String(Math.max(0, end - start + 1));
	const status = range ? 206 : 200;
	if (req.method === 'HEAD' || file.size === 0) {
		res.writeHead(status, headers).end();
		return;
	}
	// Read through the handle the caller opened (never the path again: a file replaced in between,
	// as encrypting a clear one does, must not mix two versions), 1 MiB at a time (about twice the
	// throughput of 64 KiB reads on loopback). The first piece is read, and decrypted, before answering:
	// a missing or damaged start is still an error answer (500), not a cut-off 200. A damaged chunk
	// further on ends the body: the connection is cut, never a wrong byte sent.
	const pieces = file.source.read(start, end);
	const first = await pieces.next();
	const stream = Readable.from(rest(first, pieces), { objectMode: false, highWaterMark: 1024 * 1024 });
	res.writeHead(status, headers);
	try {
		const pacer = file.pace?.();
		await (pacer ? pipeline(stream, pacer, res) : pipeline(stream, res));
	} catch (error) {
		// The client went away mid-download (or the disk failed, or a chunk did not decrypt): nothing
		// more can be said to it. The operator hears of damage (the edge logs it).
		res.destroy();
		if (error instanceof DecryptError) throw error;
	}
}

async function* rest(first: IteratorResult<Buffer>, chunks: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
	if (first.done) return;
	yield first.value;
	yield* chunks;
}

/**
 * The Content-Type and Content-Disposition a file is served with: its own type, as an attachment when
 * it has a download name, else inline. A type a browser could run or render (`isActiveType`; a row
 * stored before such types were refused at upload, or a caller's mistake) is never served as itself:
 * it goes out as `application/octet-stream`, always an attachment.
 */
export function servedAs(file: Pick<Servable, 'type' | 'downloadName'>): { 'content-type': string; 'content-disposition'?: string } {
	if (isActiveType(file.type)) return { 'content-type': UNKNOWN_TYPE, 'content-disposition': contentDisposition(file.downloadName ?? 'file') };
	if (file.downloadName === undefined) return { 'content-type': file.type };
	return { 'content-type': file.type, 'content-disposition': contentDisposition(file.downloadName) };
}

function noneMatch(header: string | undefined, etag: string): boolean {
	if (!header) return false;
	if (header.trim() === '*') return true;
	// Weak comparison, as If-None-Match wants.
	return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function ifRangeHolds(header: string | undefined, file: Servable): boolean {
	if (header === undefined) return true;
	const value = header.trim();
	if (value.startsWith('"') || value.startsWith('W/')) return value === file.etag; // strong comparison only
	const date = Date.parse(value);
	return Number.isFinite(date) && Math.floor(file.lastModified.getTime() / 1000) <= Math.floor(date / 1000);
}

/**
 * One byte range of a file of `size` bytes, clamped to it; `null` when the header is not a single
 * well-formed bytes range (then the whole file is served); 'unsatisfiable' when it is well-formed but
 * no byte of it exists.
 */
export function parseRange(header: string, size: number): { start: number; end: number } | null | 'unsatisfiable' {
	const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
	if (!match) return null;
	const [, first, last] = match;
	if (first === '' && last === '') return null;
	if (first === '') {
		const suffix = Number(last);
		if (suffix === 0 || size === 0) return 'unsatisfiable';
		return { start: Math.max(0, size - suffix), end: size - 1 };
	}
	const start = Number(first);
	const end = last === '' ? Infinity : Number(last);
	if (!Number.isSafeInteger(start) || (last !== '' && (!Number.isSafeInteger(end) || end < start))) return null;
	if (start >= size) return 'unsatisfiable';
	return { start, end: Math.min(end, size - 1) };
}
