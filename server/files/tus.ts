import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ERRORS, Server, type Locker, type Upload } from '@tus/server';
import { FILE_ID_HEADER, uploadMetadataSchema, type ErrorCode } from '../../src/lib/protocol/index.js';
import { AppError, invalidInput } from '../errors.js';
import type { Logger } from '../logger.js';
import { validate } from '../validate.js';
import type { Avatars } from './avatars.js';
import type { FilesService, UploadMeta } from './files.service.js';
import type { TrackedStore } from './storage/tracked.js';
import type { Uploads } from './storage/types.js';

export interface TusOptions {
	store: TrackedStore;
	uploads: Uploads;
	files: FilesService;
	/** Uploads with `purpose: avatar` or `group-avatar` go here instead of becoming files. */
	avatars: Avatars;
	/** Largest Upload-Length accepted at creation (MAX_UPLOAD_BYTES). */
	maxSize: number;
	/** Origins allowed to call cross-origin (CORS_ORIGINS). */
	corsOrigins: readonly string[];
	/** Keeps two requests on one upload from writing at once; tus's MemoryLocker (one process) when absent. */
	locker?: Locker;
	log: Logger;
}

/** What the edge checked about a request before handing it to tus. */
export interface TusRequestOptions {
	/** The sender; absent only for OPTIONS. */
	userId?: string;
	/**
	 * The upload the request acts on, its owner already checked; absent for creation and discovery.
	 * tus sees a URL rebuilt from it alone, never the URL the client sent.
	 */
	uploadId?: string;
	/** Added to tus's answer (default none). */
	extraHeaders?: Record<string, string>;
}

/** The one tus version this server speaks. */
export const TUS_VERSION = '1.0.0';

/** Hands one Node request to tus. */
export type TusHandler = (req: IncomingMessage, res: ServerResponse, options: TusRequestOptions) => Promise<void>;

/**
 * The tus 1.0.0 server at `/files/` (creation, creation-with-upload, termination, expiration), its
 * hooks bound to Parley's rules: ids made from the sender, metadata validated and size, quota and
 * thread checked at creation, completion turned into a file, every error in the contract's JSON shape.
 */
export function createTusServer(options: TusOptions): { server: Server; handle: TusHandler } {
	const { files, uploads, log } = options;
	// Who sent a request, set before tus sees it (tus's hooks only get the Request), and which upload a
	// creation request made (its quota reservation ends with the request).
	const senders = new WeakMap<Request, string>();
	// The upload id the edge authorized, per request: what tus acts on, whatever it would read from the URL.
	const checked = new WeakMap<Request, string>();
	const created = new WeakMap<Request, string>();
	const userOf = (req: Request) => {
		const userId = senders.get(req);
		if (!userId) throw new Error('a tus request reached the hooks without a sender');
		return userId;
	};
	const server = new Server({
		path: '/files',
		datastore: options.store,
		...(options.locker ? { locker: options.locker } : {}),
		maxSize: options.maxSize,
		relativeLocation: true,
		allowedOrigins: [...options.corsOrigins],
		allowedCredentials: true,
		exposedHeaders: [FILE_ID_HEADER],
		// A finished upload is a file: it goes through DELETE /api/files/{id}, which also removes the row.
		disableTerminationForFinishedUploads: true,
		namingFunction: (req) => uploads.newId(userOf(req)),
		getFileIdFromRequest: (req) => checked.get(req),
		async onUploadCreate(req, upload) {
			const meta = parseMetadata(upload.metadata);
			try {
				created.set(req, upload.id);
				if (meta.purpose) await options.avatars.admit(userOf(req), upload.size ?? 0, meta);
				const stored = await files.admit(userOf(req), upload.id, upload.size ?? 0, meta);
				return { metadata: { ...stored } as Record<string, string> };
			} catch (error) {
				throw toTusError(error, log);
			}
		},
		async onUploadFinish(_req, upload) {
			try {
				const meta = metaOf(upload);
				if (meta.purpose) {
					await options.avatars.finish({ id: upload.id, meta });
					options.store.keepUntilAnswered(upload);
					return {};
				}
				const file = await files.finish({ id: upload.id, size: upload.size ?? upload.offset, meta });
				return { headers: { [FILE_ID_HEADER]: file.id } };
			} catch (error) {
				throw toTusError(error, log);
			}
		},
		onResponseError: (_req, error) => toTusError(error, log)
	});
	const handle: TusHandler = async (req, res, { userId, uploadId, extraHeaders = {} }) => {
		const request = toRequest(req, uploadId);
		if (userId) senders.set(request, userId);
		if (uploadId) checked.set(request, uploadId);
		try {
			await send(res, await server.handleWeb(request), req, extraHeaders);
		} finally {
			if (uploadId) options.store.answered(uploadId);
			const id = created.get(request);
			if (id) options.store.answered(id);
			if (id) await files.release(id).catch((error) => log.warn(`the quota reservation of upload "${id}" was not released (it expires by itself): ${(error as Error).message}`));
		}
	};
	return { server, handle };
}

/** The stored metadata of an upload made by `createTusServer` (validated when it was created). */
export function metaOf(upload: Pick<Upload, 'id' | 'metadata'>): UploadMeta {
	const m = upload.metadata ?? {};
	if (!m.filename || !m.fileId) throw new Error(`upload "${upload.id}" has no filename or fileId in its metadata`);
	const meta: UploadMeta = { filename: m.filename, fileId: m.fileId };
	if (m.filetype) meta.filetype = m.filetype;
	if (m.threadId) meta.threadId = m.threadId;
	if (m.purpose === 'avatar' || m.purpose === 'group-avatar') meta.purpose = m.purpose;
	return meta;
}

function parseMetadata(metadata: Record<string, string | null> | undefined): Omit<UploadMeta, 'fileId'> {
	const m = metadata ?? {};
	try {
		return validate(uploadMetadataSchema, { filename: m.filename ?? undefined, filetype: m.filetype ?? undefined, threadId: m.threadId ?? undefined, purpose: m.purpose ?? undefined });
	} catch (error) {
		// The same fields and words as any request's, the message naming where they came from.
		if (error instanceof AppError && error.code === 'invalid_input') throw toTusError(invalidInput(error.fields ?? {}, `Upload-Metadata ${error.message}`));
		throw error;
	}
}

const STATUS_CODES: Record<number, ErrorCode> = {
	400: 'invalid_input',
	401: 'unauthorized',
	403: 'forbidden',
	404: 'not_found',
	409: 'conflict',
	410: 'gone',
	412: 'precondition_failed',
	413: 'payload_too_large',
	415: 'unsupported_media_type',
	501: 'not_implemented'
};

/** Clearer words for tus's own errors (its texts are kept for the rest). */
const MESSAGES = new Map<unknown, string>([
	[ERRORS.INVALID_OFFSET, 'Upload-Offset does not match the bytes the server has; ask with HEAD and resume from its Upload-Offset'],
	[ERRORS.FILE_NOT_FOUND, 'no such upload'],
	[ERRORS.FILE_NO_LONGER_EXISTS, 'this upload has expired and was removed; start a new one'],
	[ERRORS.ERR_MAX_SIZE_EXCEEDED, 'the upload is larger than this server accepts (MAX_UPLOAD_BYTES)'],
	[ERRORS.ERR_SIZE_EXCEEDED, 'more bytes than the upload declared in Upload-Length'],
	[ERRORS.INVALID_LENGTH, 'give Upload-Length (this server does not take Upload-Defer-Length)'],
	[ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION, 'this server does not take Upload-Defer-Length: declare Upload-Length at creation']
]);

/** Any error on the tus path, as tus's `{status_code, body}` with the contract's JSON body. */
export function toTusError(error: unknown, log?: Logger): { status_code: number; body: string } {
	if (error instanceof AppError) {
		// The operator must hear of a full disk: the users only see their uploads pause.
		if (error.code === 'insufficient_storage') log?.warn(`an upload was refused: ${error.message}`);
		return { status_code: error.status, body: JSON.stringify({ error: error.toBody() }) };
	}
	const e = error as { status_code?: number; body?: string } | null;
	if (e && typeof e.status_code === 'number' && typeof e.body === 'string') {
		if (e.body.startsWith('{"error"')) return { status_code: e.status_code, body: e.body };
		if (e === ERRORS.INVALID_TERMINATION) {
			return jsonError(409, 'conflict', 'this upload is finished and is a file now: delete it with DELETE /api/files/{id}');
		}
		// tus-node says 403 for a missing header; the tus protocol (and the contract) say 400.
		if (e === ERRORS.MISSING_OFFSET) return jsonError(400, 'invalid_input', 'a PATCH must say where its bytes go: send Upload-Offset (ask with HEAD)');
		if (e.status_code >= 500) log?.error(`tus: ${e.body.trim()}`);
		const code = STATUS_CODES[e.status_code] ?? 'internal';
		return jsonError(e.status_code, code, MESSAGES.get(e) ?? e.body.trim());
	}
	log?.error('files request failed', error);
	return jsonError(500, 'internal', 'something went wrong on the server; it has been logged');
}

function jsonError(status: number, code: ErrorCode, message: string) {
	return { status_code: status, body: JSON.stringify({ error: { code, message } }) };
}

/** The Request tus sees: the client's method, headers and body, at a URL made from the checked id only. */
function toRequest(req: IncomingMessage, uploadId: string | undefined): Request {
	const headers = new Headers();
	for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
	const method = req.method ?? 'GET';
	return new Request(`http://parley.invalid/files/${uploadId ?? ''}`, {
		method,
		headers,
		body: method === 'POST' || method === 'PATCH' ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
		// @ts-expect-error Node's fetch needs this for a streamed body; the DOM types do not know it.
		duplex: 'half'
	});
}

/**
 * Writes tus's Response to the Node response. Error answers tus writes itself (412, 400 for bad
 * headers) are reshaped into the contract's JSON error; every error answer says `application/json`.
 */
async function send(res: ServerResponse, response: Response, req: IncomingMessage, extraHeaders: Record<string, string>): Promise<void> {
	const method = req.method ?? 'GET';
	const out: Record<string, string> = {};
	response.headers.forEach((value, name) => (out[name] = value));
	Object.assign(out, extraHeaders);
	let body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
	if (response.status >= 400) {
		const text = body?.toString('utf8') ?? '';
		body = Buffer.from(text.startsWith('{"error"') ? text : toTusError({ status_code: response.status, body: text || `HTTP ${response.status}` }).body);
		out['content-type'] = 'application/json; charset=utf-8';
		// A 412 (no Tus-Resumable) names the version this server speaks, as tus asks.
		if (response.status === 412) out['tus-version'] = TUS_VERSION;
		// The client may still be sending a body nobody will read: do not keep the connection for it.
		if ((method === 'POST' || method === 'PATCH') && !req.readableEnded) out.connection = 'close';
	}
	if (body && body.length > 0) out['content-length'] = String(body.length);
	else delete out['content-type'];
	res.writeHead(response.status, out);
	res.end(method === 'HEAD' || !body || body.length === 0 ? undefined : body);
}
