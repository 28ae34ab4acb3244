/**
 * Matching a file the user picks (or drops) with an upload an earlier page left unfinished. Pure, so
 * it is unit-tested; uploads.svelte.ts does the storage and network around it.
 *
 * tus-js-client keeps each upload's URL in localStorage under `tus::<fingerprint>::<random>`, where the
 * browser fingerprint is `['tus-br', name, type, size, lastModified, endpoint].join('-')`
 * (node_modules/tus-js-client/lib/browser/fileSignature.js). A browser cannot reopen a file by itself,
 * so resuming after a reload needs the user to choose it again; the fingerprint says whether the one
 * chosen is the same file (same name, type, size and modification time).
 */

/** What the fingerprint is made of (a File; a plain object in tests). */
export interface FileLike {
	name: string;
	type: string;
	size: number;
	lastModified: number;
}

/** The fingerprint tus-js-client gives `file` in a browser, uploading to `endpoint`. */
export function fingerprintOf(file: FileLike, endpoint: string): string {
	return ['tus-br', file.name, file.type, file.size, file.lastModified, endpoint].join('-');
}

/** True when the storage entry `key` was made for `file` (uploading to `endpoint`). */
export function keyMatches(key: string, file: FileLike, endpoint: string): boolean {
	return key.startsWith(`tus::${fingerprintOf(file, endpoint)}::`);
}

/** What is needed here of an unfinished upload. */
export interface UnfinishedLike {
	key: string;
	url: string | null;
	threadId: string | null;
}

/**
 * The unfinished uploads a thread shows as paused bubbles: those addressed to it, except any that an
 * upload of this page has taken over (it goes on at the same URL: one bubble per upload, never two).
 */
export function unfinishedFor<T extends UnfinishedLike>(list: readonly T[], threadId: string, liveUrls: ReadonlySet<string>): T[] {
	return list.filter((u) => u.threadId === threadId && u.url !== null && !liveUrls.has(u.url));
}

/** The first of `list` that `file` continues, if any. */
export function findMatch<T extends UnfinishedLike>(list: readonly T[], file: FileLike, endpoint: string): T | undefined {
	return list.find((u) => keyMatches(u.key, file, endpoint));
}

/** Why a chosen file cannot resume `name`, for people: which of name, size, date differs. */
export function mismatchReason(expected: { name: string; size: number | null }, chosen: FileLike): string {
	if (chosen.name !== expected.name) return `That is ${chosen.name}, not ${expected.name}. Choose ${expected.name} to resume, or discard the upload.`;
	if (expected.size !== null && chosen.size !== expected.size) return `This ${chosen.name} is not the same size as the one being sent: it may have changed. Choose the same file, or discard the upload.`;
	return `This ${chosen.name} is not the same file (it was changed or copied since). Choose the same file, or discard the upload.`;
}

/** The part of `Storage` forgetting needs (localStorage; a small stand-in in tests). */
export interface KeyedStorage {
	readonly length: number;
	key(index: number): string | null;
	removeItem(key: string): void;
}

/**
 * Removes every upload URL tus-js-client stored (its `tus::` keys) from `storage`, other keys left
 * alone; returns how many went. On sign-out, so the next person on a shared browser is neither shown
 * the last one's unfinished uploads nor resumes them.
 */
export function forgetStoredUploads(storage: KeyedStorage): number {
	const keys: string[] = [];
	// Collected first: removing while walking shifts the indexes.
	for (let i = 0; i < storage.length; i++) {
		const key = storage.key(i);
		if (key?.startsWith('tus::')) keys.push(key);
	}
	for (const key of keys) storage.removeItem(key);
	return keys.length;
}
