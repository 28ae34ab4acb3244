import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { AuthService } from '../auth/auth.service.js';
import type { ChatEmitter } from '../chat/node/emitter.js';
import type { MessagesService } from '../chat/messages/messages.service.js';
import type { FilesRatesConfig } from '../config/files-rates.js';
import type { StoreConfig } from '../config/files-store.js';
import type { Database } from '../db/schema.js';
import type { Route } from '../http/http.js';
import type { Logger } from '../logger.js';
import { MemoryAdmission, RedisAdmission } from './admission.js';
import { encryptExisting } from './crypto/encrypt-existing.js';
import type { MasterKey } from './crypto/format.js';
import { Avatars, avatarRoutes, type GroupPictures } from './avatars.js';
import { filesEdge } from './edge.js';
import { filesRoutes } from './files.handlers.js';
import { FilesService } from './files.service.js';
import { RedisLocker } from './locker.js';
import { sweepOrphans } from './orphans.js';
import { createRates } from './pacing/index.js';
import { paced } from './pacing/pacer.js';
import { openStorage } from './storage/index.js';
import { createTusServer } from './tus.js';

/** Timing of the expiration extension; tests shorten both. */
export interface FilesTiming {
	/** An unfinished upload expires this long after creation. Default: UPLOAD_EXPIRY_HOURS. */
	expiryMs: number;
	/** How often expired uploads are swept. Default: a quarter of the expiry, at most an hour. */
	sweepIntervalMs: number;
}

export interface FilesOptions {
	db: Kysely<Database>;
	auth: AuthService;
	/** The chat role's messages, for file messages in threads; undefined when this process has no chat role. */
	messages: () => MessagesService | undefined;
	/** Reaches thread members' devices on any node; undefined when nothing can. */
	emitter: () => ChatEmitter | undefined;
	/** UPLOAD_DIR: with the local store, uploads go to `tus/`, thumbnails to `thumbs/`, pictures to `avatars/`. */
	uploadDir: string;
	/** FILES_STORE: where files live; the local disk under `uploadDir` when absent (storage/). */
	store?: StoreConfig;
	maxUploadBytes: number;
	quotaBytes: number;
	/**
	 * FILES_ENCRYPTION_KEY: uploads, thumbnails and pictures are stored encrypted under it (crypto/).
	 * Default none. Checked against `UPLOAD_DIR/.encryption` at creation: a wrong key, or none where
	 * files are encrypted, throws a ConfigError.
	 */
	encryptionKey?: MasterKey;
	corsOrigins: readonly string[];
	timing: FilesTiming;
	/**
	 * With REDIS_URL: the tus lock of each upload and the quota's per-user creation lock and
	 * reservations are kept there, shared by every gateway; without, in this process.
	 */
	redis?: { client: Redis; prefix: string; lockTtlMs?: number };
	/** FILES_UPLOAD_RATE, FILES_DOWNLOAD_RATE, FILES_NODE_RATE; unlimited when absent. */
	rates?: FilesRatesConfig;
	/** Told when a user's picture changed, to announce it like a name change (`user:updated`). */
	profileChanged?: (userId: string) => void;
	/** The chat role's groups, for groups' pictures; undefined when this process has no chat role. */
	groupPictures?: () => GroupPictures | undefined;
	log: Logger;
}

/** The files role: its `/api/files` routes, its `/files/` edge, and the expiry sweep. */
export interface Files {
	service: FilesService;
	routes: Route[];
	/** Answers `/files` and `/files/*`; false for any other path. */
	handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
	/** After an account's deletion: removes its files' bytes and thumbnails, its uploads and its picture from disk. */
	discardAccount(userId: string, removed: { files: Array<{ id: string; upload_id: string }>; avatar: string | null }): Promise<void>;
	/** Whether any transfer rate applies (a paced request may outlast Node's request timeout). */
	paced: boolean;
	/** Removes expired uploads now, then thumbnails and pictures nothing refers to any more; resolves to how many uploads. */
	sweep(): Promise<number>;
	close(): Promise<void>;
}

export async function createFiles(options: FilesOptions): Promise<Files> {
	const { log, timing, encryptionKey: key } = options;
	const storage = await openStorage(options.store, { uploadDir: options.uploadDir, expiryMs: timing.expiryMs, key });
	if ((await storage.checkKey()) === 'made') log.info(`files are encrypted at rest from now on (key id ${key!.id.toString('hex')}); keep FILES_ENCRYPTION_KEY safe: without it they cannot be read`);
	const { tus: store, uploads, thumbs, pictures } = storage;
	log.info(`files are kept in ${storage.where}`);
	const { redis } = options;
	const rates = createRates({ rates: options.rates ?? { uploadBytesPerSecond: 0, downloadBytesPerSecond: 0, nodeBytesPerSecond: 0 }, redis, log: log.child('rates') });
	store.pace = (readable, id) => {
		const owner = uploads.ownerOf(id);
		const pacer = owner === undefined ? undefined : rates.upload(owner);
		return pacer && paced(readable, pacer);
	};
	const admission = redis ? new RedisAdmission({ redis: redis.client, prefix: redis.prefix }) : new MemoryAdmission();
	const locker = redis ? new RedisLocker({ redis: redis.client, prefix: redis.prefix, ttlMs: redis.lockTtlMs, log: log.child('tus-locker') }) : undefined;
	const service = new FilesService({
		db: options.db,
		store,
		uploads,
		thumbs,
		messages: options.messages,
		emitter: options.emitter,
		quotaBytes: options.quotaBytes,
		admission,
		ifUnlocked: locker && ((id, work) => locker.ifUnlocked(id, work)),
		log
	});
	const avatars = new Avatars({ db: options.db, pictures, uploads, store, profileChanged: options.profileChanged, groupPictures: options.groupPictures, log: log.child('avatars') });
	const tus = createTusServer({ store, uploads, files: service, avatars, maxSize: options.maxUploadBytes, corsOrigins: options.corsOrigins, locker, log: log.child('tus') });

	let sweeping: Promise<number> | null = null;
	const sweep = () => {
		// One sweep at a time; a call during one waits for it.
		sweeping ??= service
			.sweep(timing.expiryMs)
			.then(async (expired) => {
				await sweepOrphans({ db: options.db, thumbs, pictures, log }, timing.expiryMs);
				return expired;
			})
			.finally(() => (sweeping = null));
		return sweeping;
	};
	const timer = setInterval(() => void sweep().catch((error) => log.error('sweeping expired uploads failed', error)), timing.sweepIntervalMs);
	timer.unref();
	// Files stored before the key was set are encrypted in the background (nothing to do after that).
	const stopEncrypting = new AbortController();
	const encrypting = key && storage.kind === 'local' ? encryptExisting({ uploadDir: options.uploadDir, key, signal: stopEncrypting.signal, log: log.child('encrypt') }).catch((error) => log.error('encrypting the files stored clear failed', error)) : Promise.resolve();

	return {
		service,
		routes: [...filesRoutes({ auth: options.auth, files: service }), ...avatarRoutes({ auth: options.auth, db: options.db, avatars })],
		handle: filesEdge({ auth: options.auth, files: service, avatars, uploads, thumbs, tus: tus.handle, rates, log }),
		paced: rates.active,
		sweep,
		async discardAccount(userId, removed) {
			await service.discardAccount(userId, removed.files);
			if (removed.avatar) await avatars.discard(removed.avatar);
		},
		async close() {
			clearInterval(timer);
			stopEncrypting.abort();
			await encrypting;
			await locker?.close();
			await storage.close();
		}
	};
}

/** The default timing for an expiry in hours. */
export function filesTiming(expiryHours: number): FilesTiming {
	const expiryMs = expiryHours * 3_600_000;
	return { expiryMs, sweepIntervalMs: Math.min(3_600_000, expiryMs / 4) };
}
