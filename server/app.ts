import http from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { AuthService } from './auth/auth.service.js';
import { authRoutes } from './auth/auth.handlers.js';
import { VerificationCodes, type CodeOptions } from './auth/codes.service.js';
import { profileRoutes } from './auth/profile.handlers.js';
import { createLimiter, DEFAULT_AUTH_LIMITS, type AuthLimits } from './auth/rate-limits.js';
import { localBalancer } from './balance/balancer.js';
import { attachChat, endSessions, type ChatServer } from './chat/chat.server.js';
import { createChat, type Chat, type ChatLimits } from './chat/index.js';
import { Tickets } from './chat/tickets.js';
import type { Config } from './config.js';
import { openDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import type { Route } from './http/http.js';
import { createRouter } from './http/router.js';
import type { KeyValueStore } from './kv/kv.js';
import { MemoryStore } from './kv/memory.js';
import { RedisStore } from './kv/redis.js';
import { log as rootLog } from './logger.js';
import { createMailer } from './mail/mailer.js';

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
	/** Overrides for chat limits (send rate, typing interval). Defaults in `DEFAULT_CHAT_LIMITS`. */
	chatLimits?: Partial<ChatLimits>;
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
	/** Handles `/api` and `/healthz`; false for other paths. */
	handleApi: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
	/** Starts listening on the config's host and port; resolves to the bound port. */
	listen(): Promise<number>;
	/** Stops taking connections, closes sockets, then releases the database and Redis. */
	close(): Promise<void>;
}

/** Builds one Parley process with the roles the config names. */
export async function createParley(options: ParleyOptions): Promise<Parley> {
	const { config } = options;
	const log = rootLog.with({ node: config.nodeId });
	const db = await openDatabase({ url: config.databaseUrl });
	const closers: Array<() => Promise<void> | void> = [() => db.close()];
	try {
		await migrateToLatest(db.db);

		let redis: Redis | undefined;
		let kv: KeyValueStore;
		if (config.redisUrl) {
			redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
			await redis.connect();
			closers.push(() => void redis!.quit().catch(() => redis!.disconnect()));
			kv = new RedisStore(redis);
		} else {
			kv = new MemoryStore();
			closers.push(() => kv.close());
		}

		const limits = { ...DEFAULT_AUTH_LIMITS, ...options.limits };
		const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, devMailbox: path.join(config.dataDir, 'mail'), log: log.child('mail') });
		closers.push(() => mailer.close());
		const tickets = new Tickets(kv);

		let io: ChatServer | null = null;
		let chat: Chat | null = null;
		const auth = new AuthService({
			db: db.db,
			codes: new VerificationCodes(kv, options.codes),
			mailer,
			tickets,
			balancer: localBalancer(config),
			limits: {
				loginAccount: createLimiter({ redis, name: 'login-account', points: limits.loginFailuresPerAccount, durationSeconds: limits.loginWindowSeconds, message: 'too many failed sign-ins for this account' }),
				loginIp: createLimiter({ redis, name: 'login-ip', points: limits.loginFailuresPerIp, durationSeconds: limits.loginWindowSeconds, message: 'too many failed sign-ins from your address' }),
				codesIp: createLimiter({ redis, name: 'codes-ip', points: limits.codesPerIp, durationSeconds: 600, message: 'too many codes requested from your address' })
			},
			sessionsEnded: (ids, reason) => {
				if (io) endSessions(io, ids, reason);
			},
			sessionDays: config.sessionDays,
			log: log.child('auth')
		});

		const routes: Route[] = [
			{
				method: 'GET',
				path: '/healthz',
				handler: async () => ({ status: 200, body: { status: 'ok', nodeId: config.nodeId, roles: [...config.roles] } })
			}
		];
		if (config.roles.includes('gateway')) {
			routes.push(...authRoutes({ auth, secureCookies: config.publicUrl.startsWith('https:'), sessionDays: config.sessionDays }));
			routes.push(
				...profileRoutes({
					auth,
					db: db.db,
					profileChanged: (userId) => void chat?.track(chat.users.profileChanged(userId)).catch((error) => log.error('announcing a profile change failed', error)),
					log: log.child('profile')
				})
			);
		}
		const handleApi = createRouter({ routes, trustProxy: config.trustProxy, log: log.child('http') });

		const server =
			options.httpServer ??
			http.createServer((req, res) => {
				handleApi(req, res)
					.then((handled) => {
						if (handled) return;
						if (options.web) return options.web(req, res, () => notFound(res));
						notFound(res);
					})
					.catch((error) => {
						log.error('request failed', error);
						if (!res.headersSent) res.writeHead(500).end();
					});
			});

		if (config.roles.includes('chat')) {
			io = new Server(server, {
				serveClient: false,
				// Chat payloads are small JSON; compressing each costs more CPU than it saves.
				perMessageDeflate: false,
				maxHttpBufferSize: 256 * 1024,
				pingInterval: 20_000,
				pingTimeout: 20_000,
				cors: { origin: config.publicUrl, credentials: true }
			});
			const services = createChat({ db: db.db, io, redis, limits: options.chatLimits, log: log.child('chat') });
			chat = services;
			closers.push(() => services.close());
			attachChat({ io, tickets, auth, chat: services, log: log.child('chat') });
		}

		return {
			config,
			server,
			io,
			chat,
			db,
			auth,
			handleApi,
			listen: () =>
				new Promise((resolve, reject) => {
					server.once('error', reject);
					server.listen(config.port, config.host, () => {
						server.off('error', reject);
						const address = server.address();
						resolve(typeof address === 'object' && address ? address.port : config.port);
					});
				}),
			async close() {
				if (io) await new Promise<void>((resolve) => io!.close(() => resolve()));
				else if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
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
