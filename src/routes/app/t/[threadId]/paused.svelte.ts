import { untrack } from 'svelte';
import { findMatch, unfinishedFor } from '$lib/files/resume';
import { discardUnfinished, resumeWith, serverOffset, unfinishedUploads } from '$lib/files/unfinished';
import { uploads, type UnfinishedUpload } from '$lib/files/uploads.svelte';
import { UPLOAD_PATH } from '$lib/protocol';

/**
 * Uploads into a thread that an earlier page began and did not finish (a reload, a closed tab), each with
 * what the server has of it: shown as paused bubbles until resumed or discarded. Made while a component
 * is set up (it looks them up again in an effect: when the thread changes, and when an upload finishes).
 */
export class PausedUploads {
	#all = $state<UnfinishedUpload[]>([]);
	readonly #threadId: () => string;
	readonly #liveUrls = $derived(new Set(uploads.items.map((u) => u.url).filter((url): url is string => url !== null)));
	/** The thread's paused uploads; one that an upload of this page took over (the same file added on the Files page) is hidden. */
	readonly items = $derived.by(() => unfinishedFor(this.#all, this.#threadId(), this.#liveUrls));

	constructor(threadId: () => string) {
		this.#threadId = threadId;
		$effect(() => {
			const id = threadId();
			// Again when an upload finishes: the browser then forgets it.
			void uploads.finished;
			let stale = false;
			void (async () => {
				// Untracked: the list of running uploads it reads is not what this waits for.
				const mine = (await untrack(unfinishedUploads)).filter((u) => u.threadId === id);
				const checked = await Promise.all(mine.map(async (u) => ({ ...u, offset: await serverOffset(u) })));
				// 'gone': expired, finished, or another account's (the storage is the browser's, not the user's).
				if (!stale) this.#all = checked.filter((u) => u.offset !== 'gone') as UnfinishedUpload[];
			})();
			return () => (stale = true);
		});
	}

	/** The same file chosen again: the upload goes on from the server's offset, in place of its paused bubble. */
	resume = (item: UnfinishedUpload, file: File): string | null => {
		try {
			resumeWith(item, file);
		} catch (error) {
			return error instanceof Error ? error.message : String(error);
		}
		this.#all = this.#all.filter((u) => u.key !== item.key);
		return null;
	};

	discard = (item: UnfinishedUpload): void => {
		this.#all = this.#all.filter((u) => u.key !== item.key);
		void discardUnfinished(item);
	};

	/** A file being sent that is a paused upload's: that one goes on (one bubble, from the server's offset). True if so. */
	take(file: File): boolean {
		const match = findMatch(this.items, file, UPLOAD_PATH);
		if (!match) return false;
		this.resume(match, file);
		return true;
	}
}
