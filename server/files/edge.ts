import type { IncomingMessage, ServerResponse } from 'node:http';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';
import type { AuthService } from '../auth/auth.service.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { AppError } from '../errors.js';
import { parseCookies, send } from '../http/http.js';
import type { Logger } from '../logger.js';
import type { Avatars } from './avatars.js';
import { DecryptError } from './crypto/format.js';
import type { StoredFile } from './crypto/stored.js';
import { serve } from './download.js';
import { thumbName, type FilesService } from './files.service.js';
import type { Rates } from './pacing/index.js';
import { metaOf, toTusError, TUS_VERSION, type TusHandler } from './tus.js';
import type { Blobs, Uploads } from './storage/types.js';

export interface FilesEdgeOptions {
	auth: AuthService;
	files: FilesService;
	avatars: Avatars;
	uploads: Uploads;
	thumbs: Blobs;
	tus: TusHandler;
	/** Paces file downloads (not thumbnails: small); none when no rate applies. */
	rates?: Rates;
	log: Logger;
}

const DOWNLOAD = /^\/files\/([0-9a-z]{1,32})(\/thumbnail)?$/;
/** A tus request target: `/files` or `/files/` (creation, discovery) or `/files/{uploadId}`, nothing else. */
const TUS_TARGET = /^\/files(?:\/([0-9a-z]{1,32}_[0-9a-f]{24})?)?$/;
const OCTETS = 'application/offset+octet-stream';

/**
 * Everything under `/files/`: downloads (`GET`/`HEAD /files/{fileId}`, `…/thumbnail`) answered here,
 * the rest handed to tus once the sender is known and owns the upload it names. A HEAD that carries
 * `Tus-Resumable` is tus's (an upload's offset); one without is a download's. File ids and upload ids
 * never look alike (upload ids hold an `_`), so each URL means one thing. A tus request's target must be
 * exactly `/files/` or `/files/{uploadId}` as sent (no query, no escapes: see `tusTarget`), and tus is
 * handed the id checked here, never the client's URL. Returns false for other paths.
 */
export function filesEdge(options: FilesEdgeOptions) {
	const { auth, files, avatars, uploads, thumbs, tus, rates, log } = options;

	async function userOf(req: IncomingMessage): Promise<string | undefined> {
		const header = req.headers.authorization;
		const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : parseCookies(req.headers.cookie)[SESSION_COOKIE];
		return (await auth.authenticate(token))?.user.id;
	}

	async function download(req: IncomingMessage, res: ServerResponse, fileId: string, thumbnail: boolean): Promise<void> {
		const userId = await userOf(req);
		if (!userId) throw new AppError('unauthorized', 'sign in first: no valid session token or cookie');
		const file = await files.readable(userId, fileId);
		if (thumbnail && !file.has_thumb) throw new AppError('not_found', `file "${fileId}" has no thumbnail`);
		// The row says how big the file is; a missing file in the store is a 404 too (and logged: it should not happen).
		const what = thumbnail ? `the thumbnail of file "${file.id}"` : `file "${file.id}"`;
		const missing = (): never => {
			log.error(`${what} has a row but no bytes in the store`);
			throw new AppError('not_found', `file "${fileId}" not found`);
		};
		let source: StoredFile;
		if (thumbnail) source = (await thumbs.open(thumbName(file.id), what))?.file ?? missing();
		else {
			source = await uploads
				.source(file.upload_id, { key: uploads.key, what, clearSize: Number(file.size) })
				.open()
				.catch((error: unknown) => ((error as NodeJS.ErrnoException).code === 'ENOENT' ? missing() : Promise.reject(error)));
		}
		// Encrypted bytes cut short (or grown) on disk are no file to serve any part of.
		if (!thumbnail && source.encrypted && source.size !== Number(file.size)) {
			await source.close();
			throw new DecryptError(`file "${file.id}" holds ${source.size} bytes on disk, not the ${file.size} it was uploaded with`);
		}
		await serve(req, res, {
			source,
			size: thumbnail ? source.size : Number(file.size),
			type: thumbnail ? 'image/webp' : file.type,
			etag: thumbnail ? `"t-${file.sha256}"` : `"${file.sha256}"`,
			lastModified: new Date(file.created_at),
			downloadName: thumbnail ? undefined : file.name,
			// Revalidated on every use, so a download stops working the moment access ends.
			cacheControl: thumbnail ? 'private, max-age=3600' : 'private, no-cache',
			pace: thumbnail ? undefined : () => rates?.download(userId)
		});
	}

	async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const method = req.method ?? 'GET';
		const fail = (error: AppError, headers: Record<string, string> = {}) => {
			const { status_code, body } = toTusError(error);
			res.writeHead(status_code, { ...headers, 'tus-resumable': TUS_VERSION, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...(method === 'PATCH' || method === 'POST' ? { connection: 'close' } : {}) });
			res.end(body);
		};
		// The target exactly as sent, before any URL parsing: tus must act on the very id checked here.
		const target = tusTarget(req.url ?? '/');
		if (target instanceof AppError) return fail(target);
		// Another tus version is 412 naming ours, as tus asks (tus-node's own check would say 400).
		const version = req.headers['tus-resumable'];
		if (method !== 'OPTIONS' && version !== undefined && version !== TUS_VERSION) {
			return fail(new AppError('precondition_failed', `this server speaks tus ${TUS_VERSION}, not Tus-Resumable ${JSON.stringify(version.slice(0, 40))}`), { 'tus-version': TUS_VERSION });
		}
		// Discovery (and CORS preflights, which never carry credentials) needs no session.
		if (method === 'OPTIONS') return tus(req, res, { uploadId: target.uploadId });
		const userId = await userOf(req);
		if (!userId) return fail(new AppError('unauthorized', 'sign in first: no valid session token or cookie'));
		const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
		if (method === 'POST') {
			if (target.uploadId !== undefined) return fail(new AppError('not_found', 'create uploads with POST /files/'));
			if (req.headers['upload-defer-length'] !== undefined) return fail(new AppError('invalid_input', 'this server does not take Upload-Defer-Length: declare Upload-Length at creation'));
			const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
			if (hasBody && contentType !== OCTETS) return fail(new AppError('unsupported_media_type', `a creation request with data must send it as ${OCTETS}, not "${contentType || 'nothing'}"`));
			return tus(req, res, { userId });
		}
		const { uploadId } = target;
		if (uploadId === undefined) return fail(new AppError('not_found', `${method} needs an upload's URL, /files/{uploadId}`));
		if (uploads.ownerOf(uploadId) !== userId) return fail(new AppError('not_found', `upload "${uploadId}" not found`));
		if (method === 'PATCH' && contentType !== OCTETS) return fail(new AppError('unsupported_media_type', `PATCH must send ${OCTETS}, not "${contentType || 'nothing'}"`));
		const extra: Record<string, string> = {};
		if (method === 'HEAD') {
			const fileId = await finishIfComplete(uploadId);
			if (fileId) extra[FILE_ID_HEADER] = fileId;
		}
		return tus(req, res, { userId, uploadId, extraHeaders: extra });
	}

	/**
	 * A HEAD on an upload whose bytes are all there but which never became a file (its completion was
	 * cut off: crash, restart, lost database) finishes it now, so the client's resume ends in a file.
	 */
	async function finishIfComplete(uploadId: string): Promise<string | undefined> {
		const record = await uploads.get(uploadId);
		if (!record) return undefined;
		if ((await uploads.offset(uploadId)) !== record.size) return undefined;
		// All there: a last chunk's rewrite cut off by a crash is finished (the same bytes) before reading.
		await uploads.recover(uploadId);
		const meta = metaOf({ id: uploadId, metadata: record.metadata });
		if (meta.purpose) {
			await avatars.finish({ id: uploadId, meta });
			return undefined;
		}
		const file = await files.finish({ id: uploadId, size: record.size, meta });
		return file.id;
	}

	return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
		const path = new URL(req.url ?? '/', 'http://localhost').pathname;
		if (path !== '/files' && !path.startsWith('/files/')) return false;
		const method = req.method ?? 'GET';
		try {
			const isDownload = method === 'GET' || (method === 'HEAD' && req.headers['tus-resumable'] === undefined);
			if (isDownload) {
				if (path.startsWith('/files/avatars/') && (await avatars.serve(req, res, path, await userOf(req)))) return true;
				const match = DOWNLOAD.exec(path);
				if (!match) throw new AppError('not_found', `no file at ${path.slice(0, 120)}`);
				await download(req, res, match[1], match[2] !== undefined);
			} else {
				await upload(req, res);
			}
		} catch (error) {
			if (res.headersSent) {
				if (error instanceof DecryptError) log.error(`${method} ${path} was cut off: ${error.message}`);
				res.destroy();
			} else if (error instanceof AppError) {
				send(res, { status: error.status, body: { error: error.toBody() } });
			} else {
				log.error(`${method} ${path} failed`, error);
				send(res, { status: 500, body: { error: { code: 'internal', message: 'something went wrong on the server; it has been logged' } } });
			}
		}
		return true;
	};
}

/**
 * The upload id the tus request target `raw` (the request line's, unparsed) names (none for creation
 * and discovery), or the error to answer. Only the exact shapes of TUS_TARGET pass: a query or
 * fragment is 400 (tus would read an id out of it), anything else (percent-escapes such as %2F or %5C,
 * backslashes, dot segments, doubled or trailing slashes) names no upload and is 404.
 */
function tusTarget(raw: string): { uploadId?: string } | AppError {
	const shown = JSON.stringify(raw.slice(0, 120));
	if (/[?#]/.test(raw)) return new AppError('invalid_input', `tus URLs take no query string or fragment: use the upload URL (Location) exactly as the server gave it, not ${shown}`);
	const match = TUS_TARGET.exec(raw);
	if (!match) return new AppError('not_found', `no upload at ${shown}: tus URLs are /files/ and /files/{uploadId}`);
	return { uploadId: match[1] };
}
