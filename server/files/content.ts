import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromFile } from 'file-type';
// The Node entry by name: under the bundler resolution TypeScript reads the browser types, whose
// fileTypeFromStream takes web streams only.
import { fileTypeFromStream } from 'file-type/node';
import sharp from 'sharp';
import { encryptBuffer } from './crypto/format.js';
import { openStored, readAll, type OpenOptions } from './crypto/stored.js';

/** What Parley learns from a finished upload's bytes. */

/** Thumbnails fit in a square of this many pixels. */
export const THUMBNAIL_PX = 320;

/** Types sharp reads with its prebuilt libvips: these get a size and a thumbnail. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

/**
 * Types a browser could run or render as a document, script or plug-in: HTML, XML of any kind (SVG,
 * XHTML, XSLT: anything `+xml`), every JavaScript type the HTML standard lists, server-push
 * multipart and Flash. Never stored or served as themselves, whether sniffed or declared.
 */
const ACTIVE_TYPES = new Set([
	'text/html',
	'text/xml',
	'application/xml',
	'text/xsl',
	'application/ecmascript',
	'application/javascript',
	'application/x-ecmascript',
	'application/x-javascript',
	'text/ecmascript',
	'text/javascript',
	'text/javascript1.0',
	'text/javascript1.1',
	'text/javascript1.2',
	'text/javascript1.3',
	'text/javascript1.4',
	'text/javascript1.5',
	'text/jscript',
	'text/livescript',
	'text/x-ecmascript',
	'text/x-javascript',
	'multipart/x-mixed-replace',
	'application/x-shockwave-flash',
	'application/futuresplash'
]);

/** True when a browser could run or render `type` (parameters and case ignored); see ACTIVE_TYPES. */
export function isActiveType(type: string): boolean {
	const essence = type.split(';')[0].trim().toLowerCase();
	return ACTIVE_TYPES.has(essence) || essence.endsWith('+xml');
}

export const UNKNOWN_TYPE = 'application/octet-stream';

/**
 * How to read a stored file's plaintext (crypto/stored.ts): with `key`, encrypted files are decrypted;
 * without, files are read as they are. Default: no key.
 */
export type ReadOptions = OpenOptions;
const CLEAR: ReadOptions = { key: undefined };

/** Hex SHA-256 of a file's plaintext, streamed. */
export async function sha256File(file: string, read: ReadOptions = CLEAR): Promise<string> {
	const hash = createHash('sha256');
	if (!read.key) {
		await pipeline(fs.createReadStream(file), hash);
		return hash.digest('hex');
	}
	const stored = await openStored(file, read);
	try {
		await pipeline(stored.stream(), hash);
	} finally {
		await stored.close();
	}
	return hash.digest('hex');
}


/**
 * Largest encrypted image decrypted into memory for sharp (which reads a clear file from disk as it
 * goes, but a buffer whole): a bigger one gets no preview, as an image sharp cannot read.
 */
const MAX_DECRYPTED_IMAGE_BYTES = 256 * 1024 * 1024;

async function decryptedImage(file: string, read: ReadOptions): Promise<Buffer | undefined> {
	const stored = await openStored(file, read);
	try {
		return stored.size > MAX_DECRYPTED_IMAGE_BYTES ? undefined : await readAll(stored);
	} finally {
		await stored.close();
	}
}

/** The file's type from its first plaintext bytes; undefined when they say nothing. */
async function typeFromBytes(file: string, read: ReadOptions): Promise<string | undefined> {
	if (!read.key) return (await fileTypeFromFile(file))?.mime;
	const stored = await openStored(file, read);
	const stream = stored.stream();
	try {
		return (await fileTypeFromStream(stream))?.mime;
	} finally {
		stream.destroy();
		await stored.close();
	}
}

/**
 * The file's type from its first bytes (magic numbers, via file-type). When the bytes say nothing
 * (plain text, CSV, most source code), the uploader's `filetype` is used. Either way, a type a browser
 * could run or render (`isActiveType`: XML and SVG the bytes show, Flash, a declared script) becomes
 * `application/octet-stream`, as does no type at all. Downloads are attachments with nosniff whatever
 * the type, and `serve` checks the type again; this keeps the stored type harmless as well.
 */
export async function sniffType(file: string, declared: string | undefined, read: ReadOptions = CLEAR): Promise<string> {
	const found = await typeFromBytes(file, read).catch(() => undefined);
	const type = found ?? declared?.toLowerCase();
	return type && !isActiveType(type) ? type : UNKNOWN_TYPE;
}

export function isImageType(type: string): boolean {
	return IMAGE_TYPES.has(type);
}

/**
 * An image's displayed size (EXIF orientation applied) and a WebP thumbnail at most 320 px a side,
 * written to `thumbnail` (through a temporary file, so a reader never sees half of one; encrypted
 * with `read.key`). Null when sharp cannot read the image (corrupt, or over its pixel limit): the file
 * is kept, without preview.
 */
export async function describeImage(file: string, thumbnail: string, read: ReadOptions = CLEAR): Promise<{ width: number; height: number; thumbnail: boolean } | null> {
	let width: number;
	let height: number;
	const input = read.key ? await decryptedImage(file, read) : file;
	if (!input) return null;
	try {
		const meta = await sharp(input).metadata();
		if (!meta.width || !meta.height) return null;
		const turned = (meta.orientation ?? 1) >= 5;
		width = turned ? meta.height : meta.width;
		height = turned ? meta.width : meta.height;
	} catch {
		return null;
	}
	const partial = `${thumbnail}.${process.pid}.${Date.now()}.part`;
	try {
		const made = sharp(input)
			.autoOrient()
			.resize({ width: THUMBNAIL_PX, height: THUMBNAIL_PX, fit: 'inside', withoutEnlargement: true })
			.webp({ quality: 75 });
		if (read.key) await fsp.writeFile(partial, encryptBuffer(read.key, await made.toBuffer()));
		else await made.toFile(partial);
		await fsp.rename(partial, thumbnail);
		return { width, height, thumbnail: true };
	} catch {
		await fsp.rm(partial, { force: true });
		return { width, height, thumbnail: false };
	}
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * `attachment` with the name twice: an ASCII fallback in `filename` (quotes, backslashes, percent
 * signs and anything outside printable ASCII replaced) and the exact name in `filename*` (RFC 8187
 * percent-encoding). Slashes become `_` in both, control characters go: nothing in a name can end the
 * header, add a parameter or name a directory.
 */
export function contentDisposition(name: string): string {
	const clean = name.replace(CONTROL, '').replace(/[/\\]/g, '_').trim() || 'file';
	const ascii = clean
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/[^\x20-\x7e]|["%\\]/g, '_');
	const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
