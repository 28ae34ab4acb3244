import { availableParallelism } from 'node:os';
import { DEFAULT_FFMPEG } from '../media/rtmp/ffmpeg.js';
import { ConfigError, int, ip, optional, type Env } from './values.js';

/** The RTMP ingest's settings (server/media/rtmp). */
export interface RtmpConfig {
	/** `RTMP_PORT`: the TCP port publishers (OBS, ffmpeg) connect to. Default 1935; 0 turns RTMP off. */
	readonly port: number;
	/** `RTMP_HOST`: the address it listens on. Default `0.0.0.0`. */
	readonly host: string;
	/** `FFMPEG_BIN`: the ffmpeg that transcodes for the SFU. Default `/usr/bin/ffmpeg` (Debian's; `npm run setup:media` installs it). */
	readonly ffmpeg: string;
	/**
	 * `RTMP_VIDEO_CODEC`: what the SFU gets: `h264` (Constrained Baseline; copied without re-encoding
	 * when the publisher sends Baseline) or `vp8` (always encoded). Default h264.
	 */
	readonly videoCodec: 'h264' | 'vp8';
}

/** The `media` role's settings (server/media). */
export interface MediaConfig {
	/** `MEDIA_LISTEN_IP`: where the SFU's WebRTC transports listen. Default `0.0.0.0`. */
	readonly listenIp: string;
	/**
	 * `MEDIA_ANNOUNCED_IP`: the address browsers are told to send media to (this host's public address
	 * behind NAT). Default `127.0.0.1`, which only reaches browsers on this machine.
	 */
	readonly announcedIp: string | undefined;
	/** `MEDIA_MIN_PORT`, `MEDIA_MAX_PORT`: the UDP/TCP ports of the transports. Default 40000 to 49999. */
	readonly minPort: number;
	readonly maxPort: number;
	/** `MEDIA_WORKERS`: mediasoup worker processes. Default one per core. */
	readonly workers: number;
	/** `ICE_SERVERS`: JSON list of `{urls, username?, credential?}` (STUN/TURN) handed to browsers. Default none. */
	readonly iceServers: readonly IceServerConfig[];
	/** `MEDIASOUP_WORKER_BIN`: the worker binary. Default: the package's own, else the one `npm run setup:media` cached. */
	readonly workerBin: string | undefined;
	/** `CALL_RING_TIMEOUT_MS`: an unanswered call ends as "no answer" after this long. Default 30000. */
	readonly ringTimeoutMs: number;
	/** `CALL_MAX_VIDEO`: cameras sending at once in one call. Default 16. */
	readonly maxVideo: number;
	/** `CALL_MAX_PARTICIPANTS`: people in one call. Default 50. */
	readonly maxParticipants: number;
	/** `CALL_RPC_TIMEOUT_MS`: how long a chat node waits for a media node's answer. Default 5000. */
	readonly rpcTimeoutMs: number;
	/**
	 * `MEDIA_WORKER_MAX_CONSUMERS`: past this many consumers on a call's worker, people who join get a
	 * router on another worker, piped to the first (pipeToRouter). Default 500 (mediasoup's figure).
	 */
	readonly workerMaxConsumers: number;
	/**
	 * `LIVE_VIEWERS_PER_NODE`: viewers a media node serves itself (over every live stream it hosts or
	 * relays); past it, a stream's next viewer is served by another media node, the stream piped there.
	 * Default 500 per worker.
	 */
	readonly liveViewersPerNode: number;
}

export interface IceServerConfig {
	readonly urls: string | readonly string[];
	readonly username?: string;
	readonly credential?: string;
}

function iceServers(env: Env): IceServerConfig[] {
	const raw = optional(env, 'ICE_SERVERS');
	if (!raw) return [];
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw);
	} catch {
		throw new ConfigError('ICE_SERVERS', `is not JSON: "${raw.slice(0, 80)}"`);
	}
	const isUrl = (u: unknown) => typeof u === 'string' && /^(stuns?|turns?):/.test(u);
	if (!Array.isArray(parsed)) throw new ConfigError('ICE_SERVERS', 'must be a JSON list of {urls, username?, credential?}');
	return parsed.map((server: unknown, i) => {
		const s = server as Record<string, unknown> | null;
		const urls = s?.urls;
		if (!s || !(isUrl(urls) || (Array.isArray(urls) && urls.length > 0 && urls.every(isUrl)))) {
			throw new ConfigError('ICE_SERVERS', `entry ${i} needs urls: one or more stun:, stuns:, turn: or turns: URLs`);
		}
		for (const key of ['username', 'credential'] as const) {
			if (s[key] !== undefined && typeof s[key] !== 'string') throw new ConfigError('ICE_SERVERS', `entry ${i}: ${key} must be a string`);
		}
		return Object.freeze({ urls: urls as string | string[], ...(s.username !== undefined ? { username: s.username as string } : {}), ...(s.credential !== undefined ? { credential: s.credential as string } : {}) });
	});
}

export function mediaConfig(env: Env): MediaConfig {
	const minPort = int(env, 'MEDIA_MIN_PORT', 40000, 1024, 65535);
	const maxPort = int(env, 'MEDIA_MAX_PORT', 49999, 1024, 65535);
	if (maxPort < minPort) throw new ConfigError('MEDIA_MAX_PORT', `must not be below MEDIA_MIN_PORT (${minPort}), got ${maxPort}`);
	const listenIp = ip(env, 'MEDIA_LISTEN_IP', '0.0.0.0')!;
	const workers = int(env, 'MEDIA_WORKERS', availableParallelism(), 1, 256);
	return Object.freeze({
		listenIp,
		announcedIp: ip(env, 'MEDIA_ANNOUNCED_IP', listenIp === '0.0.0.0' || listenIp === '::' ? '127.0.0.1' : undefined),
		minPort,
		maxPort,
		workers,
		iceServers: Object.freeze(iceServers(env)),
		workerBin: optional(env, 'MEDIASOUP_WORKER_BIN'),
		ringTimeoutMs: int(env, 'CALL_RING_TIMEOUT_MS', 30_000, 100, 600_000),
		maxVideo: int(env, 'CALL_MAX_VIDEO', 16, 1, 100),
		maxParticipants: int(env, 'CALL_MAX_PARTICIPANTS', 50, 2, 500),
		rpcTimeoutMs: int(env, 'CALL_RPC_TIMEOUT_MS', 5000, 100, 60_000),
		workerMaxConsumers: int(env, 'MEDIA_WORKER_MAX_CONSUMERS', 500, 1, 100_000),
		liveViewersPerNode: int(env, 'LIVE_VIEWERS_PER_NODE', 500 * workers, 1, 10_000_000)
	});
}

export function rtmpConfig(env: Env): RtmpConfig {
	const videoCodec = optional(env, 'RTMP_VIDEO_CODEC') ?? 'h264';
	if (videoCodec !== 'h264' && videoCodec !== 'vp8') throw new ConfigError('RTMP_VIDEO_CODEC', `must be h264 or vp8, got "${videoCodec}"`);
	return Object.freeze({
		port: int(env, 'RTMP_PORT', 1935, 0, 65535),
		host: ip(env, 'RTMP_HOST', '0.0.0.0')!,
		ffmpeg: optional(env, 'FFMPEG_BIN') ?? DEFAULT_FFMPEG,
		videoCodec
	});
}
