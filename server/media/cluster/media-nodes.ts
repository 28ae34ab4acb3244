import type { Redis } from 'ioredis';

/** What a media node tells the cluster about itself. */
export interface MediaNodeInfo {
	id: string;
	/** Random per process: a restarted node is another instance. */
	instance: string;
	/** A draining node finishes its calls but is never picked for a new one. */
	draining: boolean;
	/** The consumers on its workers. */
	load: number;
}

export interface MediaNodeStatus extends MediaNodeInfo {
	alive: boolean;
}

// The clock is Redis's (TIME), so nodes whose clocks differ agree on who is alive.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// ARGV: prefix, id, info JSON, time to live (ms)
const BEAT = `${NOW}
redis.call('ZADD', ARGV[1] .. 'media:deadline', now + tonumber(ARGV[4]), ARGV[2])
redis.call('HSET', ARGV[1] .. 'media:info', ARGV[2], ARGV[3])
return 1
`;

// ARGV: prefix, a random number in [0, 1) for ties, then ids to leave out. The least-loaded live node
// that is not draining.
const PICK = `${NOW}
local P = ARGV[1]
local skip = {}
for i = 3, #ARGV do skip[ARGV[i]] = true end
local best, bestLoad = {}, nil
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'media:deadline', '(' .. now, '+inf')) do
  local raw = redis.call('HGET', P .. 'media:info', id)
  local info = raw and cjson.decode(raw)
  if info and not info.draining and not skip[id] then
    if bestLoad == nil or info.load < bestLoad then best, bestLoad = { id }, info.load
    elseif info.load == bestLoad then table.insert(best, id) end
  end
end
if #best == 0 then return false end
return best[math.min(#best, math.floor(tonumber(ARGV[2]) * #best) + 1)]
`;

// ARGV: prefix. [now, info hash flat, deadlines flat]; dead entries older than a minute are dropped.
const LIST = `${NOW}
local P = ARGV[1]
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'media:deadline', '-inf', now - 60000)) do
  redis.call('ZREM', P .. 'media:deadline', id)
  redis.call('HDEL', P .. 'media:info', id)
end
return { now, redis.call('HGETALL', P .. 'media:info'), redis.call('ZRANGE', P .. 'media:deadline', 0, -1, 'WITHSCORES') }
`;

interface Scripts {
	parleyMediaBeat(...args: string[]): Promise<number>;
	parleyMediaPick(...args: string[]): Promise<string | null>;
	parleyMediaList(...args: string[]): Promise<[number, string[], string[]]>;
}

/** Where calls can be placed: the media nodes of the cluster (or this process alone). */
export interface MediaNodes {
	/** The least-loaded live media node that is not draining (nor in `exclude`); null when there is none. */
	pick(exclude?: readonly string[]): Promise<string | null>;
	/** Which of these nodes are dead now (their heartbeat stopped, or they never registered). */
	dead(ids: readonly string[]): Promise<Set<string>>;
	/** Every registered node (healthz, tests). */
	list(): Promise<MediaNodeStatus[]>;
}

/** One process: calls go to this process when it carries them. */
export function localMediaNodes(self: string, carries: () => boolean): MediaNodes {
	return {
		pick: async (exclude = []) => (carries() && !exclude.includes(self) ? self : null),
		dead: async (ids) => new Set(ids.filter((id) => id !== self)),
		list: async () => (carries() ? [{ id: self, instance: '', draining: false, load: 0, alive: true }] : [])
	};
}

/**
 * The media nodes in Redis: each one beats its entry every `intervalMs` (with its load); it counts as
 * dead 3 intervals after its last beat. Chat nodes pick the least-loaded one for a new call.
 */
export class RedisMediaNodes implements MediaNodes {
	readonly #redis: Redis & Scripts;

	constructor(
		redis: Redis,
		private readonly prefix: string
	) {
		const r = redis as Redis & Partial<Scripts>;
		const scripts: Record<keyof Scripts, string> = { parleyMediaBeat: BEAT, parleyMediaPick: PICK, parleyMediaList: LIST };
		for (const [name, lua] of Object.entries(scripts)) if (typeof r[name as keyof Scripts] !== 'function') r.defineCommand(name, { numberOfKeys: 0, lua });
		this.#redis = r as Redis & Scripts;
	}

	async beat(info: MediaNodeInfo, ttlMs: number): Promise<void> {
		await this.#redis.parleyMediaBeat(this.prefix, info.id, JSON.stringify(info), String(Math.round(ttlMs)));
	}

	/** Takes a stopping node out at once (its calls have ended). */
	async remove(id: string): Promise<void> {
		await this.#redis.zrem(`${this.prefix}media:deadline`, id);
		await this.#redis.hdel(`${this.prefix}media:info`, id);
	}

	pick(exclude: readonly string[] = []): Promise<string | null> {
		return this.#redis.parleyMediaPick(this.prefix, String(Math.random()), ...exclude);
	}

	async dead(ids: readonly string[]): Promise<Set<string>> {
		const alive = new Set((await this.list()).filter((n) => n.alive).map((n) => n.id));
		return new Set(ids.filter((id) => !alive.has(id)));
	}

	async list(): Promise<MediaNodeStatus[]> {
		const [now, info, deadlines] = await this.#redis.parleyMediaList(this.prefix);
		const deadline = new Map<string, number>();
		for (let i = 0; i < deadlines.length; i += 2) deadline.set(deadlines[i], Number(deadlines[i + 1]));
		const out: MediaNodeStatus[] = [];
		for (let i = 0; i < info.length; i += 2) {
			const node = JSON.parse(info[i + 1]) as MediaNodeInfo;
			out.push({ ...node, alive: (deadline.get(info[i]) ?? 0) > now });
		}
		return out.sort((a, b) => a.id.localeCompare(b.id));
	}
}
