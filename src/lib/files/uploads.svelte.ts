import * as tus from 'tus-js-client';
import { FILE_ID_HEADER, UPLOAD_PATH } from '$lib/protocol';
import { metadataValue } from './metadata';

/**
 * Uploads from the browser over tus (PROTOCOL.md section 3), each a reactive object a component can
 * render: progress, speed, time left, pause, resume, cancel. An upload survives a lost network (it
 * waits for the browser to be online again, then asks the server where to go on) and a closed tab:
 * tus-js-client keeps each upload's URL in localStorage under the file's fingerprint (name, type,
 * size, modification time), so adding the same file again resumes it instead of starting over.
 *
 * Chat and the Files page share one list: `startUpload(file, { threadId })` from anywhere.
 */

export type UploadStatus =
	/** Sending (or about to). */
	| 'uploading'
	/** Stopped by the user; `resume()` goes on. */
	| 'paused'
	/** The network is gone; it goes on by itself when it is back. */
	| 'offline'
	/** All bytes sent; the server is making the file (digest, thumbnail, message). */
	| 'finishing'
	| 'done'
	/** Refused or failed for good; `error` says why. `resume()` tries again. */
	| 'failed'
	| 'cancelled';

export interface StartUploadOptions {
	/** Post the finished file into this thread (you must be a member). */
	threadId?: string;
	/**
	 * Go on with this unfinished upload (an earlier page's, see `unfinishedUploads`) rather than the
	 * newest one tus-js-client remembers for the same file. The file must be the same (`resumeWith`).
	 */
	resume?: UnfinishedUpload;
}

/**
 * Bytes per PATCH: big enough to stream at full speed, small enough for proxies' body limits. A
 * smaller size can be set in localStorage under `parley.uploadChunkBytes` (a proxy with a lower body
 * limit; the browser tests, to cut an upload between two chunks).
 */
const CHUNK_SIZE = 50 * 1024 * 1024;
function chunkSize(): number {
	try {
		const set = Number(localStorage.getItem('parley.uploadChunkBytes'));
		if (Number.isSafeInteger(set) && set >= 64 * 1024) return set;
	} catch {
		// No storage: the default.
	}
	return CHUNK_SIZE;
}
/** While the network is flaky, tus-js-client retries on its own after these delays (ms). */
const RETRY_DELAYS = [0, 1000, 3000, 5000];
/** After those, a network failure waits for `online`, and tries again at least this often anyway. */
const OFFLINE_RETRY_MS = 10_000;

let counter = 0;

/** One file going up. Every field is reactive. */
export class FileUpload {
	readonly id = `upload-${++counter}`;
	readonly name: string;
	readonly size: number;
	readonly threadId: string | undefined;
	/** The type the browser gave (may be ''). */
	readonly type: string;

	status = $state<UploadStatus>('uploading');
	/** Bytes the server has acknowledged or that are in flight, as tus-js-client counts them. */
	bytesSent = $state(0);
	/** Bytes per second, smoothed over the last seconds; 0 when not moving. */
	speed = $state(0);
	/** Why it failed (status `failed`), for people. */
	error = $state('');
	/** The finished file's id (status `done`). */
	fileId = $state<string | null>(null);
	/**
	 * The id the file will have, known soon after the upload is created (the server names it in the
	 * upload's metadata). Its chat message carries it as clientId, and may arrive over the socket before
	 * the last PATCH's answer: a chat matches the two by this, so the file never shows twice.
	 */
	expectedFileId = $state<string | null>(null);
	/** True when this upload went on from bytes an earlier page (or tab) had sent. */
	resumed = $state(false);

	/** Resolves with the file id when done; rejects when cancelled. Failures can still be resumed. */
	readonly done: Promise<string>;

	#tus: tus.Upload;
	#resolve!: (fileId: string) => void;
	#reject!: (error: Error) => void;
	#samples: Array<{ at: number; bytes: number }> = [];
	#offlineTimer: ReturnType<typeof setTimeout> | undefined;
	#onOnline = () => this.#retryNow();
	#started = false;
	/** The upload's URL on the server, reactive (a chat hides the paused bubble of the upload this continues). */
	#url = $state<string | null>(null);
	#resumeKey: string | undefined;

	readonly #onSettled: (upload: FileUpload) => void;

	constructor(file: File, options: StartUploadOptions, onSettled: (upload: FileUpload) => void) {
		this.#onSettled = onSettled;
		this.name = file.name || 'file';
		this.size = file.size;
		this.threadId = options.threadId;
		this.type = file.type;
		// Taking over an earlier page's upload: its URL and the server's offset are known already, so the
		// bubble starts where the paused one was, in the same update that takes that one away.
		if (options.resume) {
			this.#url = options.resume.url;
			this.#resumeKey = options.resume.key;
			this.bytesSent = options.resume.offset ?? 0;
			this.resumed = true;
		}
		this.done = new Promise((resolve, reject) => {
			this.#resolve = resolve;
			this.#reject = reject;
		});
		// Nobody has to listen: a cancelled upload's rejection is not an error of the page.
		this.done.catch(() => undefined);
		const metadata: Record<string, string> = { filename: this.name, filetype: file.type };
		if (options.threadId) metadata.threadId = options.threadId;
		this.#tus = new tus.Upload(file, {
			endpoint: UPLOAD_PATH,
			chunkSize: chunkSize(),
			retryDelays: RETRY_DELAYS,
			metadata,
			storeFingerprintForResuming: true,
			removeFingerprintOnSuccess: true,
			onProgress: (sent) => this.#progress(sent),
			onAfterResponse: (request, response) => {
				if (this.#tus.url) this.#url = this.#tus.url;
				return this.#learnFileId(request, response);
			},
			onSuccess: ({ lastResponse }) => {
				this.fileId = lastResponse.getHeader(FILE_ID_HEADER) ?? null;
				this.bytesSent = this.size;
				this.speed = 0;
				this.status = 'done';
				this.#cleanUp();
				this.#resolve(this.fileId ?? '');
				this.#onSettled(this);
			},
			onError: (error) => this.#failed(error),
			// Retry what can get better (network, 409 offset, 423 lock, 5xx); never a refusal.
			onShouldRetry: (error) => {
				// Offline, retrying is pointless: wait for the 'online' event instead (see #failed).
				if (!navigator.onLine) return false;
				const status = (error as tus.DetailedError).originalResponse?.getStatus() ?? 0;
				return status === 0 || status === 409 || status === 423 || status >= 500;
			}
		});
	}

	/** 0 to 1. */
	get progress(): number {
		return this.size === 0 ? (this.status === 'done' ? 1 : 0) : Math.min(1, this.bytesSent / this.size);
	}

	/** Seconds left at the current speed; Infinity when unknown. */
	get secondsLeft(): number {
		return this.speed > 0 ? (this.size - this.bytesSent) / this.speed : Infinity;
	}

	/** The upload's URL on the server, once it has one. */
	get url(): string | null {
		return this.#url;
	}

	get active(): boolean {
		return this.status === 'uploading' || this.status === 'offline' || this.status === 'finishing';
	}

	/** Starts, going on from an earlier attempt at the same file when the browser remembers one. */
	async start(): Promise<void> {
		if (this.#started) return;
		this.#started = true;
		try {
			const previous = await this.#tus.findPreviousUploads();
			// The attempt asked for, else the newest attempt of the same file.
			const last =
				previous.find((p) => p.urlStorageKey === this.#resumeKey) ??
				previous.sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime))[0];
			if (last) {
				this.#tus.resumeFromPreviousUpload(last);
				if (last.uploadUrl) this.#url = last.uploadUrl;
				this.resumed = true;
			}
		} catch {
			// No storage (private mode): start from zero.
		}
		this.#tus.start();
	}

	pause(): void {
		if (!this.active) return;
		this.#cleanUp();
		this.status = 'paused';
		this.speed = 0;
		void this.#tus.abort(false);
	}

	resume(): void {
		if (this.status !== 'paused' && this.status !== 'failed' && this.status !== 'offline') return;
		this.#cleanUp();
		this.error = '';
		this.status = 'uploading';
		this.#samples = [];
		this.#tus.start();
	}

	/** Stops and deletes what the server has (tus termination), and forgets the upload. */
	cancel(): void {
		if (this.status === 'done' || this.status === 'cancelled') return;
		this.#cleanUp();
		this.status = 'cancelled';
		this.speed = 0;
		void this.#tus.abort(true).catch(() => undefined);
		this.#reject(new Error('cancelled'));
		this.#onSettled(this);
	}

	#progress(sent: number): void {
		if (this.status === 'offline') this.status = 'uploading';
		this.bytesSent = sent;
		if (sent >= this.size && this.status === 'uploading') this.status = 'finishing';
		const now = performance.now();
		this.#samples.push({ at: now, bytes: sent });
		// The speed over the last 3 s: steady enough to read, quick enough to follow a change.
		while (this.#samples.length > 2 && now - this.#samples[0].at > 3000) this.#samples.shift();
		const first = this.#samples[0];
		const span = (now - first.at) / 1000;
		if (span >= 0.25) this.speed = Math.max(0, (sent - first.bytes) / span);
	}

	/**
	 * Picks up the future file id: from a finishing answer's header, from a HEAD's metadata (a resumed
	 * upload), or, right after creation, by asking with a HEAD before the first byte goes.
	 */
	async #learnFileId(request: tus.HttpRequest, response: tus.HttpResponse): Promise<void> {
		if (this.expectedFileId) return;
		const direct = response.getHeader(FILE_ID_HEADER);
		if (direct) {
			this.expectedFileId = direct;
			return;
		}
		let metadata: string | undefined;
		if (request.getMethod() === 'HEAD') metadata = response.getHeader('Upload-Metadata');
		else if (request.getMethod() === 'POST' && response.getStatus() === 201) {
			const location = response.getHeader('Location');
			if (!location) return;
			try {
				const head = await fetch(new URL(location, new URL(UPLOAD_PATH, window.location.href)), {
					method: 'HEAD',
					headers: { 'Tus-Resumable': '1.0.0' },
					credentials: 'same-origin',
					cache: 'no-store'
				});
				metadata = head.headers.get('Upload-Metadata') ?? undefined;
			} catch {
				// The network: the finishing answer names the file anyway.
			}
		}
		const id = metadata ? metadataValue(metadata, 'fileId') : null;
		if (id && !this.expectedFileId) this.expectedFileId = id;
	}

	#failed(error: Error): void {
		if (this.status === 'paused' || this.status === 'cancelled') return;
		const response = (error as tus.DetailedError).originalResponse;
		const status = response?.getStatus() ?? 0;
		this.speed = 0;
		this.#samples = [];
		if (status === 0) {
			// No answer at all: the network. Wait for it instead of giving up.
			this.status = 'offline';
			window.addEventListener('online', this.#onOnline);
			this.#offlineTimer = setTimeout(() => this.#retryNow(), OFFLINE_RETRY_MS);
			return;
		}
		this.status = 'failed';
		this.error = messageOf(response?.getBody() ?? '', status);
	}

	#retryNow(): void {
		if (this.status !== 'offline') return;
		this.#cleanUp();
		this.status = 'uploading';
		this.#tus.start();
	}

	#cleanUp(): void {
		window.removeEventListener('online', this.#onOnline);
		clearTimeout(this.#offlineTimer);
	}
}

function messageOf(body: string, status: number): string {
	try {
		const parsed = JSON.parse(body) as { error?: { message?: string; code?: string } };
		if (parsed.error?.code === 'quota_exceeded') return 'Not enough room left in your storage for this file. Delete some files first.';
		if (parsed.error?.code === 'payload_too_large') return 'This file is larger than the server accepts.';
		if (parsed.error?.code === 'insufficient_storage') return 'The server has run out of disk space. What was sent is kept: resume once its operator has made room.';
		if (parsed.error?.message) return `The server refused it: ${parsed.error.message}.`;
	} catch {
		// falls through
	}
	return status === 401 ? 'You were signed out. Sign in again, then resume.' : `The upload failed (HTTP ${status}).`;
}

/** Every upload of this page, newest last. */
class UploadList {
	items = $state<FileUpload[]>([]);
	/** Counts finished uploads, so lists of files know to refresh. */
	finished = $state(0);

	start(file: File, options: StartUploadOptions = {}): FileUpload {
		const upload = new FileUpload(file, options, (u) => {
			if (u.status === 'done') this.finished++;
		});
		this.items.push(upload);
		void upload.start();
		// Reactive from here on: the list holds the proxy.
		return this.items[this.items.length - 1];
	}

	/** Takes finished, failed and cancelled uploads off the list. */
	clearSettled(): void {
		this.items = this.items.filter((u) => u.active || u.status === 'paused');
	}

	remove(upload: FileUpload): void {
		this.items = this.items.filter((u) => u !== upload);
	}
}

export const uploads = new UploadList();

/**
 * Uploads `file` (into a thread when `threadId` is given) and returns the reactive upload object:
 * `status`, `progress`, `bytesSent`, `speed`, `secondsLeft`, `error`, `fileId`, `pause()`, `resume()`,
 * `cancel()` and the `done` promise. It also appears in `uploads.items`.
 */
export function startUpload(file: File, options: StartUploadOptions = {}): FileUpload {
	return uploads.start(file, options);
}

/** An upload an earlier page (or tab) began and did not finish, as the browser remembers it. */
export interface UnfinishedUpload {
	/** Its localStorage key: `tus::<fingerprint>::<random>` (see resume.ts). */
	key: string;
	name: string;
	size: number | null;
	/** The type the browser gave (may be ''). */
	type: string;
	url: string | null;
	startedAt: string;
	/** The thread the file goes to when finished (null: the Files page). */
	threadId: string | null;
	/** Bytes the server has, when asked (`withServerOffset`); null when unknown. */
	offset?: number | null;
}
