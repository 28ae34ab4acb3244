import * as tus from 'tus-js-client';
import { UPLOAD_PATH } from '$lib/protocol';
import { forgetStoredUploads, keyMatches, mismatchReason } from './resume';
import { uploads, type FileUpload, type UnfinishedUpload } from './uploads.svelte';

/*
 * Uploads this browser remembers (tus-js-client's stored URLs): listing the unfinished ones, asking
 * the server how far each got, going on with one, discarding one, and forgetting them all on sign-out.
 * The uploads running on this page are `uploads` (uploads.svelte.ts).
 */

/**
 * Uploads this browser began and did not finish (a closed tab, a reload), except those running on
 * this page. Adding the same file again continues one of them.
 */
export async function unfinishedUploads(): Promise<UnfinishedUpload[]> {
	if (!tus.canStoreURLs) return [];
	try {
		const running = new Set(uploads.items.map((u) => u.url).filter(Boolean));
		const stored = await tus.defaultOptions.urlStorage.findAllUploads();
		return stored
			.filter((p) => p.uploadUrl && !running.has(p.uploadUrl))
			.map((p) => ({
				key: p.urlStorageKey,
				name: p.metadata?.filename ?? 'file',
				size: p.size,
				type: p.metadata?.filetype ?? '',
				url: p.uploadUrl,
				startedAt: p.creationTime,
				threadId: p.metadata?.threadId || null
			}))
			.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
	} catch {
		return [];
	}
}

/** Forgets an unfinished upload and deletes what the server has of it (tus termination). */
export async function discardUnfinished(upload: UnfinishedUpload): Promise<void> {
	if (upload.url) await tus.Upload.terminate(upload.url, { retryDelays: [] }).catch(() => undefined);
	await tus.defaultOptions.urlStorage.removeUpload(upload.key).catch(() => undefined);
}

/**
 * How many bytes of `upload` the server has (a tus HEAD): a number; 'gone' when the server no longer
 * has it (expired, finished, deleted, or another account's: this browser's storage is shared by
 * everybody who signs in on it); null when it could not be asked (the network).
 */
export async function serverOffset(upload: UnfinishedUpload): Promise<number | 'gone' | null> {
	if (!upload.url) return 'gone';
	try {
		const head = await fetch(new URL(upload.url, window.location.href), {
			method: 'HEAD',
			headers: { 'Tus-Resumable': '1.0.0' },
			credentials: 'same-origin',
			cache: 'no-store'
		});
		if (head.status === 404 || head.status === 410 || head.status === 403) return 'gone';
		const offset = Number(head.headers.get('Upload-Offset'));
		return head.ok && Number.isSafeInteger(offset) && offset >= 0 ? offset : null;
	} catch {
		return null;
	}
}

/**
 * Goes on with `upload` from the file the user chose again. Throws, changing nothing, when `file` is
 * not the same file (name, type, size, modification time: what tus-js-client's fingerprint is made of).
 */
export function resumeWith(upload: UnfinishedUpload, file: File): FileUpload {
	if (!keyMatches(upload.key, file, UPLOAD_PATH)) throw new Error(mismatchReason(upload, file));
	return uploads.start(file, { threadId: upload.threadId ?? undefined, resume: upload });
}

/**
 * For sign-out: stops this page's uploads (without deleting them: the server lets them expire) and
 * takes them off the list, then forgets every upload URL this browser stored, so whoever signs in
 * next here neither sees the last person's unfinished uploads nor resumes them.
 */
export function forgetUploads(): void {
	for (const upload of uploads.items) upload.pause();
	uploads.items = [];
	try {
		forgetStoredUploads(localStorage);
	} catch {
		// No storage (private mode, a sandbox): nothing was stored either.
	}
}
