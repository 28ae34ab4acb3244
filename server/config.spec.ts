import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, ROLES } from './config.js';

/** Runs `loadConfig` and returns the error it throws, failing the test if it throws none. */
function refusal(env: Record<string, string>): ConfigError {
	try {
		loadConfig(env);
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigError);
		return error as ConfigError;
	}
	throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
	it('has working defaults for an empty environment', () => {
		const config = loadConfig({});
		expect(config).toMatchObject({
			port: 3000,
			host: '0.0.0.0',
			publicUrl: 'http://localhost:3000',
			roles: [...ROLES],
			redisUrl: undefined,
			smtpUrl: undefined,
			mailFrom: 'Parley <no-reply@localhost>',
			dataDir: path.resolve('data'),
			uploadDir: path.resolve('data', 'uploads'),
			maxUploadBytes: 4 * 1024 ** 3,
			uploadQuotaBytes: 10 * 1024 ** 3,
			uploadExpiryHours: 24,
			trustProxy: false,
			logLevel: 'info',
			sessionDays: 30,
			sqliteSynchronous: 'normal'
		});
		expect(config.databaseUrl).toBe(`sqlite:${path.join(path.resolve('data'), 'parley.db')}`);
		expect(config.nodeId).toMatch(/.+-[0-9a-f]{6}$/);
	});

	it('reads every variable', () => {
		const config = loadConfig({
			PORT: '8080',
			HOST: '127.0.0.1',
			PUBLIC_URL: 'https://chat.example.com/',
			ROLES: 'gateway, chat',
			DATABASE_URL: 'postgres://u:p@db/parley',
			SQLITE_SYNCHRONOUS: 'FULL',
			REDIS_URL: 'redis://cache:6379',
			CHAT_PROCESSES: '3',
			CHAT_PROCESS_URL: 'https://chat-{n}.example.com/',
			SMTP_URL: 'smtps://u:p@mail.example.com',
			MAIL_FROM: 'Chat <chat@example.com>',
			DATA_DIR: '/var/lib/parley',
			UPLOAD_DIR: '/srv/uploads',
			MAX_UPLOAD_BYTES: '1048576',
			UPLOAD_QUOTA_BYTES: '5000000',
			UPLOAD_EXPIRY_HOURS: '2',
			NODE_ID: 'node-a',
			TRUST_PROXY: 'yes',
			LOG_LEVEL: 'debug',
			SESSION_DAYS: '7',
			CODES_PER_IP: '300',
			CODE_RESEND_SECONDS: '20',
			GROUP_MAX_MEMBERS: '50',
			EDIT_WINDOW_MINUTES: '15',
			SEND_RATE_LIMIT: '600/1m',
			MEDIA_LISTEN_IP: '10.0.0.5',
			MEDIA_ANNOUNCED_IP: '203.0.113.7',
			MEDIA_MIN_PORT: '50000',
			MEDIA_MAX_PORT: '50999',
			MEDIA_WORKERS: '3',
			ICE_SERVERS: '[{"urls":"stun:stun.example.com"},{"urls":["turn:turn.example.com:3478"],"username":"u","credential":"p"}]',
			MEDIASOUP_WORKER_BIN: '/opt/mediasoup-worker',
			CALL_RING_TIMEOUT_MS: '45000',
			CALL_MAX_VIDEO: '9',
			CALL_MAX_PARTICIPANTS: '20',
			CALL_RPC_TIMEOUT_MS: '3000',
			MEDIA_WORKER_MAX_CONSUMERS: '400',
			LIVE_VIEWERS_PER_NODE: '1200',
			CHAT_ORIGINS: 'https://chat-1.example.com, https://*.example.com/',
			VAPID_PUBLIC_KEY: 'B'.repeat(87),
			VAPID_PRIVATE_KEY: 'p'.repeat(43),
			VAPID_SUBJECT: 'https://chat.example.com/contact',
			RTMP_PUBLIC_URL: 'rtmps://live.example.com:443/app/',
			RTMP_PORT: '11935',
			RTMP_HOST: '127.0.0.1',
			FFMPEG_BIN: '/opt/ffmpeg',
			RTMP_VIDEO_CODEC: 'vp8',
			FILES_UPLOAD_RATE: '20MB/s',
			FILES_DOWNLOAD_RATE: '512KiB/s',
			FILES_NODE_RATE: '1.5MB/s'
		});
		expect(config).toEqual({
			port: 8080,
			host: '127.0.0.1',
			publicUrl: 'https://chat.example.com',
			roles: ['gateway', 'chat'],
			databaseUrl: 'postgres://u:p@db/parley',
			sqliteSynchronous: 'full',
			redisUrl: 'redis://cache:6379',
			chatProcesses: 3,
			chatProcessUrl: 'https://chat-{n}.example.com',
			smtpUrl: 'smtps://u:p@mail.example.com',
			mailFrom: 'Chat <chat@example.com>',
			dataDir: '/var/lib/parley',
			uploadDir: '/srv/uploads',
			maxUploadBytes: 1_048_576,
			uploadQuotaBytes: 5_000_000,
			uploadExpiryHours: 2,
			nodeId: 'node-a',
			trustProxy: true,
			vapid: { publicKey: 'B'.repeat(87), privateKey: 'p'.repeat(43) },
			vapidSubject: 'https://chat.example.com/contact',
			pushAllowHttp: false,
			logLevel: 'debug',
			sessionDays: 7,
			codesPerIp: 300,
			codeResendSeconds: 20,
			groupMaxMembers: 50,
			editWindowMinutes: 15,
			sendRate: { points: 600, seconds: 60 },
			redisPrefix: 'parley:',
			heartbeatMs: 2000,
			drainTimeoutMs: 10_000,
			corsOrigins: ['https://chat.example.com'],
			chatOrigins: ['https://chat-1.example.com', 'https://*.example.com'],
			rtmpPublicUrl: 'rtmps://live.example.com:443/app',
			media: {
				listenIp: '10.0.0.5',
				announcedIp: '203.0.113.7',
				minPort: 50000,
				maxPort: 50999,
				workers: 3,
				iceServers: [{ urls: 'stun:stun.example.com' }, { urls: ['turn:turn.example.com:3478'], username: 'u', credential: 'p' }],
				workerBin: '/opt/mediasoup-worker',
				ringTimeoutMs: 45_000,
				maxVideo: 9,
				maxParticipants: 20,
				rpcTimeoutMs: 3000,
				workerMaxConsumers: 400,
				liveViewersPerNode: 1200
			},
			rtmp: { port: 11935, host: '127.0.0.1', ffmpeg: '/opt/ffmpeg', videoCodec: 'vp8' },
			filesRates: { uploadBytesPerSecond: 20_000_000, downloadBytesPerSecond: 512 * 1024, nodeBytesPerSecond: 1_500_000 }
		});
	});

	it('SEND_RATE_LIMIT: 30 in 10 s by default; a count per s, m or h; refuses anything else', () => {
		expect(loadConfig({}).sendRate).toEqual({ points: 30, seconds: 10 });
		expect(loadConfig({ SEND_RATE_LIMIT: '30/10s' }).sendRate).toEqual({ points: 30, seconds: 10 });
		expect(loadConfig({ SEND_RATE_LIMIT: '100/s' }).sendRate).toEqual({ points: 100, seconds: 1 });
		expect(loadConfig({ SEND_RATE_LIMIT: ' 5000 / 2H ' }).sendRate).toEqual({ points: 5000, seconds: 7200 });
		for (const bad of ['30', '30/10', '0/10s', '30/0s', '-1/10s', '30/2d', '30/25h', 'fast', '1.5/s']) {
			expect(refusal({ SEND_RATE_LIMIT: bad }).message).toContain(`SEND_RATE_LIMIT must be a count per time such as 30/10s, 600/1m or 100/s (1 s to 24 h), got "${bad.trim()}"`);
		}
	});

	it('rtmp: port 1935 everywhere with Debian\'s ffmpeg and H.264 by default; 0 is off; refuses bad values', () => {
		expect(loadConfig({}).rtmp).toEqual({ port: 1935, host: '0.0.0.0', ffmpeg: '/usr/bin/ffmpeg', videoCodec: 'h264' });
		expect(loadConfig({ RTMP_PORT: '0' }).rtmp.port).toBe(0);
		expect(loadConfig({ RTMP_PORT: '0' }).rtmpPublicUrl).toBe('rtmp://localhost:1935/live'); // off, yet the settings' URL reads sensibly
		expect(() => loadConfig({ RTMP_PORT: '70000' })).toThrow(/RTMP_PORT/);
		expect(() => loadConfig({ RTMP_HOST: 'anywhere' })).toThrow(/RTMP_HOST.*"anywhere"/);
		expect(() => loadConfig({ RTMP_VIDEO_CODEC: 'av1' })).toThrow(/RTMP_VIDEO_CODEC must be h264 or vp8, got "av1"/);
	});

	it('media: listens everywhere and announces 127.0.0.1 by default; refuses bad ports, addresses and ICE servers', () => {
		const media = loadConfig({}).media;
		expect(media).toMatchObject({ listenIp: '0.0.0.0', announcedIp: '127.0.0.1', minPort: 40000, maxPort: 49999, iceServers: [], workerBin: undefined, ringTimeoutMs: 30_000, maxVideo: 16, maxParticipants: 50, rpcTimeoutMs: 5000, workerMaxConsumers: 500 });
		expect(media.workers).toBeGreaterThanOrEqual(1);
		expect(media.liveViewersPerNode).toBe(500 * media.workers);
		expect(loadConfig({ MEDIA_WORKERS: '2', LIVE_VIEWERS_PER_NODE: '1' }).media.liveViewersPerNode).toBe(1);
		expect(() => loadConfig({ LIVE_VIEWERS_PER_NODE: '0' })).toThrow(/LIVE_VIEWERS_PER_NODE/);
		expect(loadConfig({ MEDIA_LISTEN_IP: '192.0.2.1' }).media.announcedIp).toBeUndefined();
		expect(() => loadConfig({ MEDIA_MIN_PORT: '5000', MEDIA_MAX_PORT: '4000' })).toThrow(/MEDIA_MAX_PORT/);
		expect(() => loadConfig({ MEDIA_ANNOUNCED_IP: 'example.com' })).toThrow(/MEDIA_ANNOUNCED_IP.*"example.com"/);
		expect(() => loadConfig({ ICE_SERVERS: 'stun:x' })).toThrow(/ICE_SERVERS is not JSON/);
		expect(() => loadConfig({ ICE_SERVERS: '[{"urls":"http://x"}]' })).toThrow(/ICE_SERVERS entry 0/);
		expect(() => loadConfig({ ICE_SERVERS: '[{"urls":"turn:x","credential":5}]' })).toThrow(/credential must be a string/);
	});

	it('is frozen, roles included', () => {
		const config = loadConfig({});
		expect(Object.isFrozen(config)).toBe(true);
		expect(Object.isFrozen(config.roles)).toBe(true);
	});

	it('derives PUBLIC_URL from PORT, and the database and uploads from DATA_DIR', () => {
		const config = loadConfig({ PORT: '4000', DATA_DIR: '/tmp/parley-x' });
		expect(config.publicUrl).toBe('http://localhost:4000');
		expect(config.databaseUrl).toBe('sqlite:/tmp/parley-x/parley.db');
		expect(config.uploadDir).toBe('/tmp/parley-x/uploads');
	});

	it('treats blank values as unset and trims the rest', () => {
		const config = loadConfig({ PORT: '  ', REDIS_URL: '', SMTP_URL: '   ', ROLES: '', HOST: ' ::1 ' });
		expect(config.port).toBe(3000);
		expect(config.redisUrl).toBeUndefined();
		expect(config.smtpUrl).toBeUndefined();
		expect(config.roles).toEqual([...ROLES]);
		expect(config.host).toBe('::1');
	});

	it('ROLES: "all", duplicates and spaces', () => {
		expect(loadConfig({ ROLES: 'all' }).roles).toEqual([...ROLES]);
		expect(loadConfig({ ROLES: 'chat,chat, gateway,' }).roles).toEqual(['chat', 'gateway']);
	});

	it.each([
		['1', true],
		['true', true],
		['ON', true],
		['0', false],
		['no', false],
		['off', false]
	])('TRUST_PROXY=%s is %s', (value, expected) => {
		expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toBe(expected);
	});

	it.each(['sqlite:/tmp/x.db', 'sqlite::memory:', 'postgresql://h/db', 'mysql://root@h/db', 'mariadb://root@h/db'])('accepts DATABASE_URL %s', (url) => {
		expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
	});

	// Each refusal names the variable and the offending value, so the operator knows what to fix.
	it.each([
		[{ PORT: 'eighty' }, 'PORT', 'whole number', '"eighty"'],
		[{ PORT: '-1' }, 'PORT', 'whole number', '"-1"'],
		[{ PORT: '3000.5' }, 'PORT', 'whole number', '"3000.5"'],
		[{ PORT: '65536' }, 'PORT', 'between 0 and 65535', '65536'],
		[{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL', 'not a URL', '"not a url"'],
		[{ PUBLIC_URL: 'ftp://example.com' }, 'PUBLIC_URL', 'http: or https:', '"ftp:"'],
		[{ ROLES: 'gateway,admin' }, 'ROLES', 'unknown role', '"admin"'],
		[{ ROLES: ', ,' }, 'ROLES', 'names no role', ''],
		[{ DATABASE_URL: 'oracle://db' }, 'DATABASE_URL', 'must start with sqlite:', '"oracle://db"'],
		[{ DATABASE_URL: 'parley.db' }, 'DATABASE_URL', 'must start with sqlite:', '"parley.db"'],
		[{ SQLITE_SYNCHRONOUS: 'off' }, 'SQLITE_SYNCHRONOUS', 'must be normal or full', '"off"'],
		[{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL', 'must start with redis: or rediss:', '"localhost:"'],
		[{ REDIS_URL: 'http://cache' }, 'REDIS_URL', 'must start with redis:', '"http:"'],
		[{ SMTP_URL: 'mail.example.com' }, 'SMTP_URL', 'is not a URL', '"mail.example.com"'],
		[{ SMTP_URL: 'http://mail' }, 'SMTP_URL', 'must start with smtp: or smtps:', '"http:"'],
		[{ MAX_UPLOAD_BYTES: '1e9' }, 'MAX_UPLOAD_BYTES', 'whole number', '"1e9"'],
		[{ MAX_UPLOAD_BYTES: '0' }, 'MAX_UPLOAD_BYTES', 'between 1 and', '0'],
		[{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY', 'true or false', '"maybe"'],
		[{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', 'debug, info, warn or error', '"verbose"'],
		[{ SESSION_DAYS: '0' }, 'SESSION_DAYS', 'between 1 and 3650', '0'],
		[{ SESSION_DAYS: '99999' }, 'SESSION_DAYS', 'between 1 and 3650', '99999'],
		[{ CODES_PER_IP: '0' }, 'CODES_PER_IP', 'between 1 and 1000000', '0'],
		[{ CODE_RESEND_SECONDS: '0' }, 'CODE_RESEND_SECONDS', 'between 1 and 3600', '0'],
		[{ GROUP_MAX_MEMBERS: '2' }, 'GROUP_MAX_MEMBERS', 'between 3 and 10000', '2'],
		[{ REDIS_PREFIX: 'has space' }, 'REDIS_PREFIX', '1 to 64 of', '"has space"'],
		[{ NODE_HEARTBEAT_MS: '10' }, 'NODE_HEARTBEAT_MS', 'between 50 and', '10'],
		[{ DRAIN_TIMEOUT_MS: '-1' }, 'DRAIN_TIMEOUT_MS', 'whole number', '"-1"'],
		[{ CORS_ORIGINS: 'http://ok.test, ftp://x' }, 'CORS_ORIGINS', 'must start with http: or https:', '"ftp:"'],
		[{ CHAT_ORIGINS: 'https://ok.test, wss://x.test' }, 'CHAT_ORIGINS', 'comma list of origins', '"wss://x.test"'],
		[{ CHAT_ORIGINS: 'https://x.test/path' }, 'CHAT_ORIGINS', 'comma list of origins', '"https://x.test/path"'],
		[{ CHAT_ORIGINS: "https://x.test 'unsafe-inline'" }, 'CHAT_ORIGINS', 'comma list of origins', "unsafe-inline"],
		[{ RTMP_PUBLIC_URL: 'http://live.example.com/live' }, 'RTMP_PUBLIC_URL', 'must start with rtmp: or rtmps:', '"http:"'],
		[{ RTMP_PUBLIC_URL: 'live.example.com' }, 'RTMP_PUBLIC_URL', 'is not a URL', '"live.example.com"']
	])('refuses %j naming %s', (env, variable, problem, value) => {
		const error = refusal(env);
		expect(error.message.startsWith(`config: ${variable} `)).toBe(true);
		expect(error.message).toContain(problem);
		expect(error.message).toContain(value);
		expect(error.name).toBe('ConfigError');
	});

	it('CORS_ORIGINS: the origin of PUBLIC_URL by default, else each listed origin', () => {
		expect(loadConfig({ PUBLIC_URL: 'https://chat.example.com:8443/parley/' }).corsOrigins).toEqual(['https://chat.example.com:8443']);
		expect(loadConfig({ CORS_ORIGINS: 'http://localhost:3000/, https://app.example.com' }).corsOrigins).toEqual(['http://localhost:3000', 'https://app.example.com']);
	});

	it('CHAT_ORIGINS: none by default; CSP wildcards for host and port pass', () => {
		expect(loadConfig({}).chatOrigins).toEqual([]);
		expect(loadConfig({ CHAT_ORIGINS: 'http://127.0.0.1:*,HTTPS://Chat-2.Example.org:8443' }).chatOrigins).toEqual(['http://127.0.0.1:*', 'https://chat-2.example.org:8443']);
	});

	it('RTMP_PUBLIC_URL: by default the host of PUBLIC_URL on RTMP_PORT (1935), path /live', () => {
		expect(loadConfig({}).rtmpPublicUrl).toBe('rtmp://localhost:1935/live');
		expect(loadConfig({ PUBLIC_URL: 'https://chat.example.com:8443/x' }).rtmpPublicUrl).toBe('rtmp://chat.example.com:1935/live');
		expect(loadConfig({ PUBLIC_URL: 'http://[::1]:3000', RTMP_PORT: '1936' }).rtmpPublicUrl).toBe('rtmp://[::1]:1936/live');
	});

	it('reports the first bad variable even when later ones are bad too', () => {
		expect(refusal({ PORT: 'x', LOG_LEVEL: 'loud' }).message).toMatch(/^config: PORT /);
	});

	it('does not read process.env', () => {
		const saved = process.env.PORT;
		process.env.PORT = 'not-a-port';
		try {
			expect(loadConfig({}).port).toBe(3000);
		} finally {
			if (saved === undefined) delete process.env.PORT;
			else process.env.PORT = saved;
		}
	});

	it('takes VAPID keys in pairs and well-formed, and a mailto: or https: subject (default: MAIL_FROM\'s address)', () => {
		expect(loadConfig({ MAIL_FROM: 'Parley <chat@example.org>' }).vapidSubject).toBe('mailto:chat@example.org');
		expect(loadConfig({}).vapid).toBeUndefined();
		expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'B'.repeat(87) })).toThrow(/VAPID_PRIVATE_KEY/);
		expect(() => loadConfig({ VAPID_PRIVATE_KEY: 'p'.repeat(43) })).toThrow(/VAPID_PUBLIC_KEY/);
		expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'short', VAPID_PRIVATE_KEY: 'p'.repeat(43) })).toThrow(/VAPID_PUBLIC_KEY.*87/);
		expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'B'.repeat(87), VAPID_PRIVATE_KEY: 'p+'.repeat(20) })).toThrow(/VAPID_PRIVATE_KEY/);
		expect(() => loadConfig({ VAPID_SUBJECT: 'http://example.org' })).toThrow(/VAPID_SUBJECT/);
	});
});
