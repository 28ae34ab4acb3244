import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import path from 'node:path';
import { DEFAULT_AUTH_LIMITS } from './auth/rate-limits.js';
import { filesEncryptionKey } from './config/files-crypto.js';
import { filesRatesConfig, type FilesRatesConfig } from './config/files-rates.js';
import { filesStoreConfig, type StoreConfig } from './config/files-store.js';
import { mediaConfig, rtmpConfig, type MediaConfig, type RtmpConfig } from './config/media.js';
import type { MasterKey } from './files/crypto/format.js';
import { bool, ConfigError, int, optional, rate, url, type Env, type SendRate } from './config/values.js';

export type { FilesRatesConfig } from './config/files-rates.js';
export type { IceServerConfig, MediaConfig, RtmpConfig } from './config/media.js';
export { ConfigError, type SendRate } from './config/values.js';

export const ROLES = ['gateway', 'chat', 'balance', 'files', 'media'] as const;
export type Role = (typeof ROLES)[number];

/** Everything Parley reads from its environment. Built once by `loadConfig`, frozen. */
export interface Config {
	/** `PORT`, default 3000. */
	readonly port: number;
	/** `HOST`, default `0.0.0.0`. */
	readonly host: string;
	/** `PUBLIC_URL`: the address browsers reach this process at. Default `http://localhost:PORT`. */
	readonly publicUrl: string;
	/** `ROLES`: comma list; default every role. */
	readonly roles: readonly Role[];
	/** `DATABASE_URL`: `sqlite:PATH`, `postgres://…` or `mysql://…`. Default `sqlite:DATA_DIR/parley.db`. */
	readonly databaseUrl: string;
	/**
	 * `SQLITE_SYNCHRONOUS`: `normal` (default) or `full`. With SQLite's WAL, `normal` fsyncs at checkpoints
	 * only: a crash of the process loses nothing committed, a power cut may roll back the last commits
	 * (never corrupts); `full` fsyncs the WAL at every commit. Ignored for other databases.
	 */
	readonly sqliteSynchronous: 'normal' | 'full';
	/** `REDIS_URL`; unset means in-memory stores, valid for one process only. */
	readonly redisUrl: string | undefined;
	/**
	 * `CHAT_PROCESSES`: how many processes carry this process's chat role (server/processes): 1 (the
	 * default) keeps it here; N > 1 (or `auto`, one per core) makes `npm start` run N chat nodes as
	 * child processes on PORT+1 … PORT+N while this one keeps the other roles. More than 1 needs
	 * REDIS_URL (the processes share tickets, presence and events through it) and a PORT other than 0.
	 */
	readonly chatProcesses: number;
	/**
	 * `CHAT_PROCESS_URL`: where browsers reach each chat process, `{n}` its number (1 …) and `{port}` its
	 * port. Default PUBLIC_URL with the port replaced by the process's (`http://localhost:{port}`).
	 */
	readonly chatProcessUrl: string;
	/** `SMTP_URL`; unset means codes go to the dev mailbox (`DATA_DIR/mail` and the log). */
	readonly smtpUrl: string | undefined;
	/** `MAIL_FROM`, default `Parley <no-reply@localhost>`. */
	readonly mailFrom: string;
	/** `DATA_DIR`, default `data`. */
	readonly dataDir: string;
	/** `UPLOAD_DIR`, default `DATA_DIR/uploads`. */
	readonly uploadDir: string;
	/** `MAX_UPLOAD_BYTES`, default 4 GiB. */
	readonly maxUploadBytes: number;
	/** `UPLOAD_QUOTA_BYTES`: what one user's files and unfinished uploads may add up to. Default 10 GiB. */
	readonly uploadQuotaBytes: number;
	/** `UPLOAD_EXPIRY_HOURS`: an unfinished upload is removed this long after it was created. Default 24. */
	readonly uploadExpiryHours: number;
	/** `FILES_ENCRYPTION_KEY` or `…_KEY_FILE`: files encrypted at rest under this key (config/files-crypto.ts). Default none. */
	readonly filesEncryptionKey: MasterKey | undefined;
	/** `NODE_ID`, default `<hostname>-<random>`: names this process in the cluster and in logs. */
	readonly nodeId: string;
	/**
	 * `VAPID_PUBLIC_KEY` and `VAPID_PRIVATE_KEY` (base64url, both or neither): Web Push's server keys.
	 * Unset: made on the first start in `DATA_DIR/vapid.json`. Every process of a cluster needs the same.
	 */
	readonly vapid: { publicKey: string; privateKey: string } | undefined;
	/** `VAPID_SUBJECT`: a mailto: or https: URL push services may contact. Default `mailto:` and MAIL_FROM's address. */
	readonly vapidSubject: string;
	/** `PUSH_ALLOW_HTTP`: accept push endpoints over plain http (a test's loopback push service). Default false: never in production. */
	readonly pushAllowHttp: boolean;
	/** `TRUST_PROXY`: take the client address from X-Forwarded-For. Default false. */
	readonly trustProxy: boolean;
	/** `LOG_LEVEL`: debug, info, warn or error. Default info. */
	readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
	/** `SESSION_DAYS`: how long a sign-in lasts. Default 30. */
	readonly sessionDays: number;
	/**
	 * `CODES_PER_IP`: code emails (register, password reset) one client address may ask for per 10
	 * minutes. Default 30; raise it when many people sign up from behind one address (a school's NAT).
	 */
	readonly codesPerIp: number;
	/**
	 * `CODE_RESEND_SECONDS`: the least time between two code emails to one address (the verification
	 * answer's `resendIn`). Default 60; tests shorten it.
	 */
	readonly codeResendSeconds: number;
	/** `GROUP_MAX_MEMBERS`: most people one group may hold. Default 256. */
	readonly groupMaxMembers: number;
	/** `EDIT_WINDOW_MINUTES`: how long after sending a text message its sender may edit it. Default 2880 (48 h). */
	readonly editWindowMinutes: number;
	/** `SEND_RATE_LIMIT`: new messages one user may send per window, on every node together. Default 30 per 10 s. */
	readonly sendRate: SendRate;
	/** `REDIS_PREFIX`: put before every Redis key and channel, so deployments can share a server. Default `parley:`. */
	readonly redisPrefix: string;
	/** `NODE_HEARTBEAT_MS`: how often a chat node says it is alive; after 3 missed beats it is dead. Default 2000. */
	readonly heartbeatMs: number;
	/** `DRAIN_TIMEOUT_MS`: how long a stopping chat node waits for its clients to move. Default 10000. */
	readonly drainTimeoutMs: number;
	/**
	 * `CORS_ORIGINS`: comma list of web origins allowed to open the chat socket (the gateway's, when the
	 * app is served by another process than this chat node). Default the origin of `PUBLIC_URL`.
	 */
	readonly corsOrigins: readonly string[];
	/**
	 * `CHAT_ORIGINS`: comma list of the chat nodes' origins as browsers reach them, when they are other
	 * origins than the app's (a cluster's gateway). The pages' Content-Security-Policy lets the app
	 * connect there (http(s) and the matching ws(s)); CSP wildcards are allowed (`https://*.example.org`,
	 * `http://127.0.0.1:*`). Default none: the app connects to its own origin only.
	 */
	readonly chatOrigins: readonly string[];
	/**
	 * `RTMP_PUBLIC_URL`: the RTMP address streamers give OBS or ffmpeg ("Server"; the stream key goes
	 * after it), shown in Settings. Default `rtmp://<host of PUBLIC_URL>:<RTMP_PORT or 1935>/live`;
	 * set it when RTMP is reached at another host or port (a proxy, a media node of its own).
	 */
	readonly rtmpPublicUrl: string;
	/** Media (calls): see `MediaConfig`. */
	readonly media: MediaConfig;
	/** RTMP ingest (live streams from OBS), in the media role: see `RtmpConfig`. */
	readonly rtmp: RtmpConfig;
	/** Transfer rates of the files role: see `FilesRatesConfig`. */
	readonly filesRates: FilesRatesConfig;
	/** `FILES_STORE`: where files live (config/files-store.ts); undefined is the local disk under UPLOAD_DIR. */
	readonly filesStore: StoreConfig | undefined;
}

/** `CHAT_PROCESSES`: a count or `auto` (one per core), checked against what several processes need. */
function processes(env: Env, roles: readonly Role[], redisUrl: string | undefined, port: number): number {
	const raw = optional(env, 'CHAT_PROCESSES');
	const count = raw?.toLowerCase() === 'auto' ? availableParallelism() : int(env, 'CHAT_PROCESSES', 1, 1, 64);
	if (count === 1) return 1;
	if (!roles.includes('chat')) throw new ConfigError('CHAT_PROCESSES', `is ${raw} but ROLES has no chat role to spread over processes`);
	if (!redisUrl) throw new ConfigError('CHAT_PROCESSES', `is ${raw}: several chat processes need REDIS_URL, through which they share tickets, presence and events (docs/DEPLOY.md)`);
	if (port === 0 || port + count > 65535) throw new ConfigError('CHAT_PROCESSES', `is ${raw}: the chat processes listen on PORT+1 … PORT+${count}, which needs a PORT from 1 to ${65535 - count}, got ${port}`);
	return count;
}

/** PUBLIC_URL with each chat process's port. */
function defaultProcessUrl(publicUrl: string): string {
	const u = new URL(publicUrl);
	return `${u.protocol}//${u.hostname}:{port}`;
}

/** Reads and checks the environment once; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env): Config {
	const port = int(env, 'PORT', 3000, 0, 65535);
	const host = optional(env, 'HOST') ?? '0.0.0.0';
	const publicUrl = url('PUBLIC_URL', optional(env, 'PUBLIC_URL') ?? `http://localhost:${port}`, ['http:', 'https:']).replace(/\/+$/, '');

	const rolesRaw = optional(env, 'ROLES');
	let roles: Role[] = [...ROLES];
	if (rolesRaw && rolesRaw !== 'all') {
		roles = [];
		for (const part of rolesRaw.split(',').map((r) => r.trim()).filter(Boolean)) {
			if (!(ROLES as readonly string[]).includes(part)) {
				throw new ConfigError('ROLES', `has unknown role "${part}"; roles are ${ROLES.join(', ')} or all`);
			}
			if (!roles.includes(part as Role)) roles.push(part as Role);
		}
		if (roles.length === 0) throw new ConfigError('ROLES', 'names no role');
	}

	const dataDir = path.resolve(optional(env, 'DATA_DIR') ?? 'data');
	const databaseUrl = optional(env, 'DATABASE_URL') ?? `sqlite:${path.join(dataDir, 'parley.db')}`;
	if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/|mysql:\/\/|mariadb:\/\/)/.test(databaseUrl)) {
		throw new ConfigError('DATABASE_URL', `must start with sqlite:, postgres://, mysql:// or mariadb://, got "${databaseUrl}"`);
	}
	const sqliteSynchronous = (optional(env, 'SQLITE_SYNCHRONOUS') ?? 'normal').toLowerCase();
	if (sqliteSynchronous !== 'normal' && sqliteSynchronous !== 'full') {
		throw new ConfigError('SQLITE_SYNCHRONOUS', `must be normal or full, got "${sqliteSynchronous}"`);
	}
	const redisUrl = optional(env, 'REDIS_URL');
	if (redisUrl) url('REDIS_URL', redisUrl, ['redis:', 'rediss:']);
	const chatProcesses = processes(env, roles, redisUrl, port);
	const chatProcessUrl = optional(env, 'CHAT_PROCESS_URL') ?? defaultProcessUrl(publicUrl);
	if (!chatProcessUrl.includes('{n}') && !chatProcessUrl.includes('{port}')) throw new ConfigError('CHAT_PROCESS_URL', `must name each process by {n} or {port}, got "${chatProcessUrl}"`);
	url('CHAT_PROCESS_URL', chatProcessUrl.replaceAll('{n}', '1').replaceAll('{port}', '3001'), ['http:', 'https:']);
	const smtpUrl = optional(env, 'SMTP_URL');
	if (smtpUrl) url('SMTP_URL', smtpUrl, ['smtp:', 'smtps:']);

	const redisPrefix = optional(env, 'REDIS_PREFIX') ?? 'parley:';
	if (!/^[A-Za-z0-9:_.{}-]{1,64}$/.test(redisPrefix)) {
		throw new ConfigError('REDIS_PREFIX', `must be 1 to 64 of letters, digits and : _ . - { }, got "${redisPrefix}"`);
	}
	const corsOrigins = (optional(env, 'CORS_ORIGINS') ?? new URL(publicUrl).origin)
		.split(',')
		.map((o) => o.trim())
		.filter(Boolean)
		.map((o) => new URL(url('CORS_ORIGINS', o, ['http:', 'https:'])).origin);

	const chatOrigins = (optional(env, 'CHAT_ORIGINS') ?? '')
		.split(',')
		.map((o) => o.trim().replace(/\/+$/, '').toLowerCase())
		.filter(Boolean)
		.map((o) => {
			// A CSP host-source, not a URL: `*.` before the host and `:*` as the port are allowed; no path.
			if (!/^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:(\d{1,5}|\*))?$/.test(o)) {
				throw new ConfigError('CHAT_ORIGINS', `must be a comma list of origins like https://chat-1.example.org or https://*.example.org, got "${o}"`);
			}
			return o;
		});

	const vapidPublic = optional(env, 'VAPID_PUBLIC_KEY');
	const vapidPrivate = optional(env, 'VAPID_PRIVATE_KEY');
	if (!!vapidPublic !== !!vapidPrivate) throw new ConfigError(vapidPublic ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY', 'must be set with its pair, VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither (keys made in DATA_DIR/vapid.json)');
	if (vapidPublic && !/^[A-Za-z0-9_-]{87}$/.test(vapidPublic)) throw new ConfigError('VAPID_PUBLIC_KEY', 'must be an uncompressed P-256 public key in base64url (87 characters), as `npx web-push generate-vapid-keys` prints');
	if (vapidPrivate && !/^[A-Za-z0-9_-]{43}$/.test(vapidPrivate)) throw new ConfigError('VAPID_PRIVATE_KEY', 'must be a P-256 private key in base64url (43 characters), as `npx web-push generate-vapid-keys` prints');
	const mailFrom = optional(env, 'MAIL_FROM') ?? 'Parley <no-reply@localhost>';
	const vapidSubject = optional(env, 'VAPID_SUBJECT') ?? `mailto:${/<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom}`;
	if (!/^(mailto:\S+|https:\/\/\S+)$/.test(vapidSubject)) throw new ConfigError('VAPID_SUBJECT', `must be a mailto: or https: URL, got "${vapidSubject}"`);

	const rtmp = rtmpConfig(env);
	const rtmpPublicUrl = url(
		'RTMP_PUBLIC_URL',
		// With RTMP off (RTMP_PORT=0) the URL still reads as the default port's.
		optional(env, 'RTMP_PUBLIC_URL') ?? `rtmp://${new URL(publicUrl).hostname}:${rtmp.port || 1935}/live`,
		['rtmp:', 'rtmps:']
	).replace(/\/+$/, '');

	const logLevel = (optional(env, 'LOG_LEVEL') ?? 'info') as Config['logLevel'];
	if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
		throw new ConfigError('LOG_LEVEL', `must be debug, info, warn or error, got "${logLevel}"`);
	}

	return Object.freeze({
		port,
		host,
		publicUrl,
		roles: Object.freeze(roles),
		databaseUrl,
		sqliteSynchronous,
		redisUrl,
		chatProcesses,
		chatProcessUrl: chatProcessUrl.replace(/\/+$/, ''),
		smtpUrl,
		mailFrom,
		dataDir,
		uploadDir: path.resolve(optional(env, 'UPLOAD_DIR') ?? path.join(dataDir, 'uploads')),
		maxUploadBytes: int(env, 'MAX_UPLOAD_BYTES', 4 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
		uploadQuotaBytes: int(env, 'UPLOAD_QUOTA_BYTES', 10 * 1024 ** 3, 0, Number.MAX_SAFE_INTEGER),
		uploadExpiryHours: int(env, 'UPLOAD_EXPIRY_HOURS', 24, 1, 8760),
		filesEncryptionKey: filesEncryptionKey(env),
		nodeId: optional(env, 'NODE_ID') ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
		trustProxy: bool(env, 'TRUST_PROXY'),
		vapid: vapidPublic && vapidPrivate ? Object.freeze({ publicKey: vapidPublic, privateKey: vapidPrivate }) : undefined,
		vapidSubject,
		pushAllowHttp: bool(env, 'PUSH_ALLOW_HTTP'),
		logLevel,
		sessionDays: int(env, 'SESSION_DAYS', 30, 1, 3650),
		codesPerIp: int(env, 'CODES_PER_IP', DEFAULT_AUTH_LIMITS.codesPerIp, 1, 1_000_000),
		codeResendSeconds: int(env, 'CODE_RESEND_SECONDS', 60, 1, 3600),
		groupMaxMembers: int(env, 'GROUP_MAX_MEMBERS', 256, 3, 10_000),
		editWindowMinutes: int(env, 'EDIT_WINDOW_MINUTES', 2880, 1, 525_600),
		sendRate: rate(env, 'SEND_RATE_LIMIT', { points: 30, seconds: 10 }),
		redisPrefix,
		heartbeatMs: int(env, 'NODE_HEARTBEAT_MS', 2000, 50, 60_000),
		drainTimeoutMs: int(env, 'DRAIN_TIMEOUT_MS', 10_000, 0, 600_000),
		corsOrigins: Object.freeze(corsOrigins),
		chatOrigins: Object.freeze(chatOrigins),
		rtmpPublicUrl,
		media: mediaConfig(env),
		rtmp,
		filesRates: filesRatesConfig(env),
		filesStore: filesStoreConfig(env)
	});
}
