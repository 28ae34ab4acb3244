/** How files and transfers read to people. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (powers of 1024, as file managers show sizes). */
export function formatBytes(bytes: number): string {
	if (!Number.isFinite(bytes) || bytes < 0) return '';
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < UNITS.length - 1) {
		value /= 1024;
		unit++;
	}
	const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
	return `${value.toFixed(digits).replace(/\.0+$|(\.\d*?)0+$/, '$1')} ${UNITS[unit]}`;
}

/** Bytes per second → "2.4 MB/s". */
export function formatSpeed(bytesPerSecond: number): string {
	return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '';
}

/** Seconds left → "45 s left", "3 min left", "1 h 20 min left"; '' when unknown. */
export function formatTimeLeft(seconds: number): string {
	if (!Number.isFinite(seconds) || seconds < 0) return '';
	if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
	const minutes = Math.round(seconds / 60);
	if (minutes < 60) return `${minutes} min left`;
	return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** A short word for a MIME type, for the Type column and icons. */
export function kindOf(type: string): 'image' | 'video' | 'audio' | 'pdf' | 'archive' | 'text' | 'file' {
	if (type.startsWith('image/')) return 'image';
	if (type.startsWith('video/')) return 'video';
	if (type.startsWith('audio/')) return 'audio';
	if (type === 'application/pdf') return 'pdf';
	if (/zip|x-tar|gzip|x-7z|x-rar|x-bzip2|x-xz|zstd/.test(type)) return 'archive';
	if (type.startsWith('text/') || type === 'application/json') return 'text';
	return 'file';
}

/** "image/png" → "PNG image"; the raw type when there is nothing better. */
export function describeType(type: string): string {
	const [, sub = ''] = type.split('/');
	const kind = kindOf(type);
	const short = sub.replace(/^x-/, '').replace(/\+.*$/, '').toUpperCase();
	if (type === 'application/octet-stream') return 'File';
	if (kind === 'pdf') return 'PDF document';
	if (kind === 'image' || kind === 'video' || kind === 'audio') return `${short} ${kind}`;
	if (kind === 'archive') return `${short} archive`;
	if (kind === 'text') return sub === 'plain' ? 'Text' : `${short} text`;
	return short || type;
}

/** A file message in one line, for the thread list and screen readers: "📎 report.pdf". */
export function fileLine(file: { name?: string; deleted?: boolean } | undefined): string {
	if (!file || file.deleted) return '📎 File deleted';
	return `📎 ${file.name ?? 'a file'}`;
}

/**
 * The box an image's thumbnail gets in a chat bubble, from its pixel size: the image's shape within
 * `max` px a side, at least `min` px a side (a panorama is cropped, not a sliver). Known before the
 * thumbnail loads, so the bubble never changes height and the message list does not jump.
 */
export function thumbBox(width: number | undefined, height: number | undefined, max = 240, min = 96): { width: number; height: number } {
	if (!width || !height || width <= 0 || height <= 0) return { width: max, height: Math.round((max * 3) / 4) };
	const scale = Math.min(1, max / Math.max(width, height));
	return {
		width: Math.round(Math.min(max, Math.max(min, width * scale))),
		height: Math.round(Math.min(max, Math.max(min, height * scale)))
	};
}
