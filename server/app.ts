import http from 'node:http';
import path from 'node:path';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { AuthService } from './auth/auth.service.js';
import { VerificationCodes, type CodeOptions } from './auth/codes.service.js';
import { authLimiters } from './auth/limiters.js';
import { DEFAULT_AUTH_LIMITS, type AuthLimits } from './auth/rate-limits.js';
import { gatewayRoutes } from './gateway/routes.js';
import { localBalancer, registryBalancer } from './balance/balancer.js';
import { NodeRegistry } from './balance/registry.js';
import type { ChatServer } from './chat/node/socket.js';
import { redisEmitter, type ChatEmitter } from './chat/node/emitter.js';
import { createChat, type Chat, type ChatLimits } from './chat/index.js';
import { adapterKey, startChatNode, type ChatNode } from './chat/node/node.js';
import { loadVapidKeys } from './push/vapid.js';
import { chatServerOptions, forgetUpgradeRequests } from './chat/node/engine.js';
import { RedisPresenceStore } from './chat/presence/presence.redis.js';
import { UsersService } from './chat/friends/users.service.js';
import { ThreadsService } from './chat/conversations/threads.service.js';
import { Tickets } from './chat/node/tickets.js';
import type { Config } from './config.js';
import { createFiles, filesTiming, type Files, type FilesTiming } from './files/index.js';
import { openDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import type { Route } from './http/http.js';
import { createRouter } from './http/router.js';
import { healthRoute } from './http/health.js';
import { securityHeaders } from './http/security-headers.js';
import type { KeyValueStore } from './kv/kv.js';
import { MemoryStore } from './kv/memory.js';
import { RedisStore } from './kv/redis.js';
import { log as rootLog } from './logger.js';
import { createMedia, type MediaRole } from './media/index.js';
import { createMailer } from './mail/mailer.js';
import { createStreamKeys, type StreamKeyLimits } from './live/keys/index.js';
import { startRtmpForMedia } from './live/rtmp.js';
import type { RtmpStatus } from './media/rtmp/index.js';
import { outageSafePublisher, watchRedis } from './kv/outage.js';

/** A Connect-style handler for everything that is not the API or a socket (the built web app). */
export type WebHandler = (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;

export interface ParleyOptions {
	config: Config;
	/** Serves the web app; without it, non-API paths get a 404 that says to build. */
	web?: WebHandler;
	/** Overrides for limits (tests use small ones). Defaults in `DEFAULT_AUTH_LIMITS`. */
	limits?: Partial<AuthLimits>;
	/** Code lifetimes and resend interval. Defaults: 10 min, 5 tries, 60 s. */
	codes?: CodeOptions;
	/** Overrides for chat limits (send and read rates, typing interval, requests at once per socket). Defaults in `DEFAULT_CHAT_LIMITS`. */
	chatLimits?: Partial<ChatLimits>;
	/** Overrides of the upload expiry and sweep interval (tests use short ones). */
	filesTiming?: Partial<FilesTiming>;
	/** Web Push options beyond the config (tests: a loopback push service over http). Default none. */
	push?: { allowHttp?: boolean };
	/** Overrides of the stream keys' regeneration limit (tests use small ones). Defaults in `DEFAULT_STREAM_KEY_LIMITS`. */
	streamKeyLimits?: Partial<StreamKeyLimits>;
	/** Attach to this HTTP server instead of creating one (the Vite dev server). */
	httpServer?: http.Server;
}

export interface Parley {
	config: Config;
	server: http.Server;
	io: ChatServer | null;
	/** The chat role's services, when this process runs it. */
	chat: Chat | null;
	db: Db;
	auth: AuthService;
	/** The files role, when this process runs it. */
	files: Files | null;
	/** Calls (the media role and its signaling), when this process runs the chat role. */
	media: MediaRole | null;
	/** Handles `/api`, `/healthz` and (files role) `/files/`; false for other paths. */
	handleApi: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
	/** The `/api` and `/healthz` routes this process serves (method and path), e.g. for the authorization matrix's coverage test. */
	routes: ReadonlyArray<{ method: string; path: string }>;
	/** Starts listening on the config's host and port; resolves to the bound port. */
	listen(): Promise<number>;
	/**
	 * Graceful stop, before `close`: stops taking connections and being handed out, asks this chat
	 * node's clients to move to another node and waits for them (at most `DRAIN_TIMEOUT_MS`, or
	 * `timeoutMs`); requests in flight are still answered. Resolves to what happened.
	 */
	drain(timeoutMs?: number): Promise<{ sockets: number; left: number; ms: number }>;
	/** Stops taking connections, closes sockets, then releases the database and Redis. */
	close(): Promise<void>;
}

/** Builds one Parley process with the roles the config names. */
export async function createParley(options: ParleyOptions): Promise<Parley> {
	const { config } = options;
	const log = rootLog.with({ node: config.nodeId });
	const db = await openDatabase({ url: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous, onIdleError: (error) => log.warn('a database connection was closed by the server; the pool opens another when needed', { error: error.message }) });
	const closers: Array<() => Promise<void> | void> = [() => db.close()];
	try {
		await migrateToLatest(db.db);

		let redis: Redis | undefined;
		let kv: KeyValueStore;
		if (config.redisUrl) {
			redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
			watchRedis(redis, 'commands', log);
			await redis.connect();
			closers.push(() => void redis!.quit().catch(() => redis!.disconnect()));
			kv = new RedisStore(redis, config.redisPrefix);
		} else {
			kv = new MemoryStore();
			closers.push(() => kv.close());
		}

		const limits = { ...DEFAULT_AUTH_LIMITS, codesPerIp: config.codesPerIp, ...options.limits };
		const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, devMailbox: path.join(config.dataDir, 'mail'), log: log.child('mail') });
		closers.push(() => mailer.close());
		const tickets = new Tickets(kv);

		let io: ChatServer | null = null;
		let chat: Chat | null = null;
		let chatNode: ChatNode | null = null;
		/** Reaches sockets on any node: this node's io (and its adapter), or, in a cluster, the Redis emitter. */
		let emitter: ChatEmitter | null = null;
		let draining = false;
		let serverClosed: Promise<void> | undefined;
		/** Announces profile changes on a gateway without the chat role (in a cluster). */
		let gatewayUsers: UsersService | null = null;
		// A gateway without the chat role still answers for threads (an account's deletion updates them).
		let gatewayThreads: ThreadsService | null = null;
		const registry = redis ? new NodeRegistry({ redis, prefix: config.redisPrefix }) : undefined;
		const prefix = config.redisPrefix;
		const auth = new AuthService({
			db: db.db,
			codes: new VerificationCodes(kv, { resendMs: config.codeResendSeconds * 1000, ...options.codes }),
			mailer,
			tickets,
			balancer: registry ? registryBalancer(registry, log.child('balance')) : localBalancer(config, { draining: () => draining }),
			limits: authLimiters({ redis, prefix }, limits),
			sessionsEnded: (ids, reason) => emitter?.endSessions(ids, reason),
			sessionDays: config.sessionDays,
			log: log.child('auth')
		});

		const routes: Route[] = [
			healthRoute(config, registry, {
				draining: () => draining,
				connections: () => chatNode?.connections(),
				media: () => (media ? media.status().then((s) => s.media) : undefined),
				rtmp: () => rtmpStatus
			})
		];
		const profileChanged = (userId: string) =>
			void (chat ? chat.track(chat.users.profileChanged(userId)) : gatewayUsers?.profileChanged(userId))?.catch((error) => log.error('announcing a profile change failed', error));
		if (config.roles.includes('gateway')) {
			routes.push(
				...gatewayRoutes({
					db: db.db,
					auth,
					store: { redis, prefix },
					limits,
					secureCookies: config.publicUrl.startsWith('https:'),
					sessionDays: config.sessionDays,
					profileChanged,
					emitter: () => emitter,
					threads: () => chat?.threads ?? gatewayThreads ?? undefined,
					files: () => files ?? undefined,
					log
				})
			);
		}
		let files: Files | null = null;
		let media: MediaRole | null = null;
		if (config.roles.includes('files')) {
			const role = await createFiles({
				db: db.db,
				auth,
				messages: () => chat?.messages,
				emitter: () => emitter ?? undefined,
				uploadDir: config.uploadDir,
				store: config.filesStore,
				maxUploadBytes: config.maxUploadBytes,
				quotaBytes: config.uploadQuotaBytes,
				encryptionKey: config.filesEncryptionKey,
				corsOrigins: config.corsOrigins,
				redis: redis ? { client: redis, prefix: config.redisPrefix } : undefined,
				rates: config.filesRates,
				timing: { ...filesTiming(config.uploadExpiryHours), ...options.filesTiming },
				profileChanged,
				groupPictures: () => chat?.groups,
				log: log.child('files')
			});
			files = role;
			closers.push(() => role.close());
			routes.push(...role.routes);
		}
		const handleRoutes = createRouter({ routes, trustProxy: config.trustProxy, log: log.child('http') });
		const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse) => (await handleRoutes(req, res)) || (files !== null && (await files.handle(req, res)));

		// Every answer of this server carries them (pages, /api, /files, static assets); the Vite dev
		// server (`httpServer`) is left to SvelteKit's own CSP.
		const security = securityHeaders({ publicUrl: config.publicUrl, chatOrigins: config.chatOrigins });
		if (config.roles.includes('gateway') && !config.roles.includes('chat') && config.chatOrigins.length === 0) {
			log.warn("CHAT_ORIGINS is not set on this gateway without the chat role: the pages' Content-Security-Policy lets the app connect to this origin only, so browsers cannot reach chat nodes at other origins (docs/DEPLOY.md)");
		}
		const server =
			options.httpServer ??
			http.createServer((req, res) => {
				security.apply(res);
				handleApi(req, res)
					.then((handled) => {
						if (handled) return;
						if (!options.web) return notFound(res);
						security.forPage(res);
						return options.web(req, res, () => notFound(res));
					})
					.catch((error) => {
						log.error('request failed', error);
						if (!res.headersSent) res.writeHead(500).end();
					});
			});
		// A paced upload (FILES_*_RATE) is slow because of this server: Node's 5-minute limit on receiving a
		// request would cut it (a 50 MiB chunk at 100 KiB/s takes 8 minutes). headersTimeout still applies.
		if (files?.paced && !options.httpServer) server.requestTimeout = 0;

		// RTMP publishers into this node's live streams; closed before the media role (closers run in reverse).
		let rtmpStatus: RtmpStatus | null = null;
		const withRtmp = async (role: MediaRole) => {
			const rtmp = await startRtmpForMedia({ config, db: db.db, media: role, log: log.child('rtmp') });
			if (!rtmp) return;
			rtmpStatus = rtmp.status;
			closers.push(() => rtmp.close());
		};

		if (config.roles.includes('chat')) {
			io = new Server(server, chatServerOptions(config.corsOrigins));
			forgetUpgradeRequests(io);
			const chatIo = io;
			// The socket's own HTTP answers (handshake, polling, upgrade) bypass the request handler above.
			io.engine.on('headers', (headers: Record<string, string>) => Object.assign(headers, security.headers));
			const requests = async (services: Chat) => {
				const role = createMedia({
					config,
					io: chatIo,
					chat: services,
					kv,
					cluster: redis && registry ? { redis, chatNodes: registry, emitter: new Emitter(outageSafePublisher(redis, 'socket.io emitter', log), { key: adapterKey(config.redisPrefix) }) } : undefined,
					log: log.child('media')
				});
				media = role;
				closers.push(() => role.close());
				await withRtmp(role);
				const streamKeys = createStreamKeys({ db: db.db, rtmpUrl: config.rtmpPublicUrl, redis, redisPrefix: config.redisPrefix, limits: options.streamKeyLimits, log: log.child('stream-keys') });
				return { ...role.requests, ...streamKeys.requests };
			};
			const push = { keys: loadVapidKeys({ dataDir: config.dataDir, ...config.vapid, log: log.child('push') }), subject: config.vapidSubject, allowHttp: config.pushAllowHttp, ...options.push };
			const node = await startChatNode({ io, config, db: db.db, redis, registry, kv, tickets, auth, limits: options.chatLimits, push, requests, log: log.child('chat') });
			chatNode = node;
			chat = node.chat;
			// A message deleted for everyone takes its file with it when nothing else refers to it.
			if (files) node.chat.actions.discardFile = (file) => files!.service.discard(file);
			emitter = node.chat.emitter;
			closers.push(() => node.close());
		} else if (config.roles.includes('media') && redis && registry) {
			// A media node of its own: chat nodes pass it the calls' requests over Redis; it reaches people
			// through their adapter, and writes the calls' lines with chat services of its own (no sockets).
			const adapterEmitter = new Emitter(outageSafePublisher(redis, 'socket.io emitter', log), { key: adapterKey(config.redisPrefix) });
			const services = createChat({ db: db.db, emitter: redisEmitter(adapterEmitter), redis, redisPrefix: config.redisPrefix, kv, log: log.child('chat') });
			closers.push(() => services.close());
			const role = createMedia({ config, io: null, chat: services, kv, cluster: { redis, chatNodes: registry, emitter: adapterEmitter }, log: log.child('media') });
			media = role;
			closers.push(() => role.close());
			await withRtmp(role);
		} else if (config.roles.includes('media')) {
			log.warn('a media node without the chat role needs REDIS_URL (chat nodes reach it through Redis); it does nothing here');
		}
		if (!config.roles.includes('chat') && redis) {
			// A gateway without the chat role reaches sockets on the chat nodes through Redis.
			emitter = redisEmitter(new Emitter(outageSafePublisher(redis, 'socket.io emitter', log), { key: adapterKey(config.redisPrefix) }));
			gatewayUsers = new UsersService({
				db: db.db,
				presence: new RedisPresenceStore({ redis, prefix: config.redisPrefix, nodeId: config.nodeId, instance: () => '' }),
				emitter
			});
			gatewayThreads = new ThreadsService({ db: db.db, users: gatewayUsers, log: log.child('threads') });
		}

		return {
			config,
			server,
			io,
			chat,
			db,
			auth,
			files,
			media,
			handleApi,
			routes: routes.map((r) => ({ method: r.method, path: r.path })),
			listen: () =>
				new Promise((resolve, reject) => {
					server.once('error', reject);
					server.listen(config.port, config.host, () => {
						server.off('error', reject);
						const address = server.address();
						resolve(typeof address === 'object' && address ? address.port : config.port);
					});
				}),
			async drain(timeoutMs = config.drainTimeoutMs) {
				if (draining) return { sockets: 0, left: 0, ms: 0 };
				draining = true;
				// No new connections (HTTP or socket); those open go on, so requests in flight finish.
				if (server.listening && !options.httpServer) serverClosed = new Promise((resolve) => server.close(() => resolve()));
				server.closeIdleConnections?.();
				// A media node takes no new calls; those running finish (at most the same time), then end.
				const [moved] = await Promise.all([chatNode ? chatNode.drain(timeoutMs) : { sockets: 0, left: 0, ms: 0 }, (media as MediaRole | null)?.drain(timeoutMs)]);
				return moved;
			},
			async close() {
				draining = true;
				if (io) await new Promise<void>((resolve) => io!.close(() => resolve()));
				else if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
				// After a drain: the HTTP requests still in flight get a few seconds to finish.
				else if (serverClosed) await Promise.race([serverClosed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
				server.closeAllConnections?.();
				for (const close of closers.reverse()) await close();
			}
		};
	} catch (error) {
		for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
		throw error;
	}
}

function notFound(res: http.ServerResponse): void {
	res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found. (If you expected the web app, run `npm run build` first.)\n');
}
