import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromFile } from 'file-type';
// The Node entry by name: under the bundler resolution TypeScript reads the browser types, whose
// fileTypeFromStream takes web streams only.
import { fileTypeFromStream } from 'file-type/node';
import sharp from 'sharp';
import { openStored, readAll, type OpenOptions } from './crypto/stored.js';
import type { Source } from './storage/types.js';

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

/** A file to read: a local path (read with `read`), or a store's Source. */
export type FileInput = string | Source;

/** A stored file on the local disk as a Source: without a key it is clear, and sharp, file-type and the hash read it from disk directly. */
export function localSource(file: string, read: ReadOptions): Source {
	return { path: read.key ? undefined : file, open: () => openStored(file, read) };
}

function sourceOf(file: FileInput, read: ReadOptions): Source {
	return typeof file === 'string' ? localSource(file, read) : file;
}

/** Hex SHA-256 of a file's plaintext, streamed. */
export async function sha256File(file: FileInput, read: ReadOptions = CLEAR): Promise<string> {
	const source = sourceOf(file, read);
	const hash = createHash('sha256');
	if (source.path) {
		await pipeline(fs.createReadStream(source.path), hash);
		return hash.digest('hex');
	}
	const stored = await source.open();
	try {
		await pipeline(stored.stream(), hash);
	} finally {
		await stored.close();
	}
	return hash.digest('hex');
}

/**
 * Largest image read into memory for sharp (which reads a local clear file from disk as it goes, but
 * a buffer whole): an encrypted or remote one bigger than this gets no preview, as an image sharp
 * cannot read.
 */
const MAX_BUFFERED_IMAGE_BYTES = 256 * 1024 * 1024;

/** What sharp reads: the local path, or the whole plaintext (undefined when too big). */
export async function imageInput(source: Source): Promise<string | Buffer | undefined> {
	if (source.path) return source.path;
	const stored = await source.open();
	try {
		return stored.size > MAX_BUFFERED_IMAGE_BYTES ? undefined : await readAll(stored);
	} finally {
		await stored.close();
	}
}

/** The file's type from its first plaintext bytes; undefined when they say nothing. */
async function typeFromBytes(source: Source): Promise<string | undefined> {
	if (source.path) return (await fileTypeFromFile(source.path))?.mime;
	const stored = await source.open();
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
export async function sniffType(file: FileInput, declared: string | undefined, read: ReadOptions = CLEAR): Promise<string> {
	const found = await typeFromBytes(sourceOf(file, read)).catch(() => undefined);
	const type = found ?? declared?.toLowerCase();
	return type && !isActiveType(type) ? type : UNKNOWN_TYPE;
}

export function isImageType(type: string): boolean {
	return IMAGE_TYPES.has(type);
}

/**
 * An image's displayed size (EXIF orientation applied) and a WebP thumbnail at most 320 px a side
 * (undefined when sharp could not make one). Null when sharp cannot read the image (corrupt, or over
 * its pixel limit, or too big to buffer): the file is kept, without preview.
 */
export async function describeImage(file: FileInput, read: ReadOptions = CLEAR): Promise<{ width: number; height: number; thumbnail?: Buffer } | null> {
	let width: number;
	let height: number;
	const input = await imageInput(sourceOf(file, read));
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
	try {
		const thumbnail = await sharp(input)
			.autoOrient()
			.resize({ width: THUMBNAIL_PX, height: THUMBNAIL_PX, fit: 'inside', withoutEnlargement: true })
			.webp({ quality: 75 })
			.toBuffer();
		return { width, height, thumbnail };
	} catch {
		return { width, height };
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
