import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What a chat node tells the cluster about itself. */
export interface NodeInfo {
	id: string;
	/** Its `PUBLIC_URL`: where browsers open the socket. */
	url: string;
	startedAt: string;
	/** A draining node finishes its work but is never handed out. */
	draining: boolean;
	/** Random per process (and per re-registration): tells a restarted node from its dead predecessor. */
	instance: string;
}

/** A registered node as `list` sees it. */
export interface NodeStatus extends NodeInfo {
	/** Its load: its sockets, plus tickets handed out for it and not redeemed yet. */
	connections: number;
	/** Its heartbeat is recent enough (within 3 intervals). */
	alive: boolean;
	/** Milliseconds until it counts as dead (negative: dead for that long), by Redis's clock. */
	expiresInMs: number;
}

/** Result of a heartbeat. */
export type BeatResult =
	/** Entry renewed. */
	| 'ok'
	/** Entry created: the first beat, or this node had been declared dead meanwhile. */
	| 'fresh'
	/** Another live process has this node id. */
	| 'conflict'
	/** A dead entry of an earlier process with this node id is in the way: release it first. */
	| 'stale';

/** Every Redis key of the cluster state, under the deployment's prefix. */
export function clusterKeys(prefix: string) {
	return {
		/** Sorted set: node id, scored by the Redis time (ms) at which it counts as dead. */
		deadline: `${prefix}nodes:deadline`,
		/** Hash: node id to `NodeInfo` as JSON. */
		info: `${prefix}nodes:info`,
		/** Hash: node id to its sockets (at its last beat or connection change). */
		load: `${prefix}nodes:load`,
		/** Sorted set per node: reservations (tickets handed out for it), scored by when they lapse. */
		reserved: (id: string) => `${prefix}nodes:reserved:${id}`,
		/** Hash: user id to their sockets over the whole cluster. */
		online: `${prefix}presence:online`,
		/** Hash per node process: user id to their sockets on that process. */
		connections: (instance: string) => `${prefix}presence:conn:${instance}`
	};
}

// Every script reads the clock from Redis (TIME), so gateways and nodes on machines whose clocks
// differ still agree on who is alive; each one runs atomically, so two gateways never hand out the
// same reservation twice and one dead node is cleaned up by exactly one claimer. Keys are derived from
// the prefix (ARGV[1]) inside the scripts: Parley uses one Redis (or a Sentinel pair), not a Redis
// Cluster, where every key would have to be declared.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// Removes a node's entry and its presence counts; returns the users whose last socket was there.
const RELEASE = `
local function release(P, id)
  local raw = redis.call('HGET', P .. 'nodes:info', id)
  redis.call('ZREM', P .. 'nodes:deadline', id)
  redis.call('HDEL', P .. 'nodes:info', id)
  redis.call('HDEL', P .. 'nodes:load', id)
  redis.call('DEL', P .. 'nodes:reserved:' .. id)
  local offline = {}
  if raw then
    local conn = P .. 'presence:conn:' .. cjson.decode(raw).instance
    local counts = redis.call('HGETALL', conn)
    for i = 1, #counts, 2 do
      local left = redis.call('HINCRBY', P .. 'presence:online', counts[i], -tonumber(counts[i + 1]))
      if left <= 0 then
        redis.call('HDEL', P .. 'presence:online', counts[i])
        table.insert(offline, counts[i])
      end
    end
    redis.call('DEL', conn)
  end
  return offline
end
`;

// ARGV: prefix, id, info JSON, connections, time to live (ms), instance
const BEAT = `${NOW}
local P, id = ARGV[1], ARGV[2]
local raw = redis.call('HGET', P .. 'nodes:info', id)
local state = 'ok'
if raw then
  if cjson.decode(raw).instance ~= ARGV[6] then
    local deadline = redis.call('ZSCORE', P .. 'nodes:deadline', id)
    if deadline and tonumber(deadline) > now then return 'conflict' end
    return 'stale'
  end
else
  state = 'fresh'
end
redis.call('ZADD', P .. 'nodes:deadline', now + tonumber(ARGV[5]), id)
redis.call('HSET', P .. 'nodes:info', id, ARGV[3])
redis.call('HSET', P .. 'nodes:load', id, ARGV[4])
redis.call('ZREMRANGEBYSCORE', P .. 'nodes:reserved:' .. id, '-inf', now)
return state
`;

// ARGV: prefix, id, connections ('' to leave it), reservation ('' for none). A socket arrived or left: the load is
// exact at once (a registered node only), and the ticket's reservation is spent.
const CONNECTED = `
local P, id = ARGV[1], ARGV[2]
if ARGV[3] ~= '' and redis.call('HEXISTS', P .. 'nodes:info', id) == 1 then redis.call('HSET', P .. 'nodes:load', id, ARGV[3]) end
if ARGV[4] ~= '' then redis.call('ZREM', P .. 'nodes:reserved:' .. id, ARGV[4]) end
return 1
`;

// ARGV: prefix, a random number in [0, 1) for ties, a reservation id, its lifetime (ms), and a URL to
// avoid ('' for none). The load of a node is its sockets plus its live reservations; the one picked
// gets the reservation, which the ticket carries and the node spends when the socket arrives (or which
// lapses with the ticket). A node at the avoided URL is named only when no other one is live.
const PICK = `${NOW}
local P = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', P .. 'nodes:deadline', '(' .. now, '+inf')
local best, bestLoad, avoided = {}, nil, {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', P .. 'nodes:info', id)
  local info = raw and cjson.decode(raw)
  if info and not info.draining then
    if ARGV[5] ~= '' and info.url == ARGV[5] then
      table.insert(avoided, id)
    else
      local load = tonumber(redis.call('HGET', P .. 'nodes:load', id) or '0') + redis.call('ZCOUNT', P .. 'nodes:reserved:' .. id, '(' .. now, '+inf')
      if bestLoad == nil or load < bestLoad then
        best, bestLoad = { id }, load
      elseif load == bestLoad then
        table.insert(best, id)
      end
    end
  end
end
if #best == 0 then best = avoided end
if #best == 0 then return false end
local chosen = best[math.min(#best, math.floor(tonumber(ARGV[2]) * #best) + 1)]
redis.call('ZADD', P .. 'nodes:reserved:' .. chosen, now + tonumber(ARGV[4]), ARGV[3])
return redis.call('HGET', P .. 'nodes:info', chosen)
`;

// ARGV: prefix. Returns [id, offline users JSON, ...] for every dead node, now released.
const CLAIM_DEAD = `${NOW}${RELEASE}
local P = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'nodes:deadline', '-inf', now)) do
  table.insert(out, id)
  table.insert(out, cjson.encode(release(P, id)))
end
return out
`;

// ARGV: prefix, id, instance (only that process's entry is released; '' for whatever is there).
const RELEASE_ONE = `${RELEASE}
local raw = redis.call('HGET', ARGV[1] .. 'nodes:info', ARGV[2])
if raw and ARGV[3] ~= '' and cjson.decode(raw).instance ~= ARGV[3] then return '[]' end
return cjson.encode(release(ARGV[1], ARGV[2]))
`;

// ARGV: prefix
const LIST = `${NOW}
local P = ARGV[1]
local load = redis.call('HGETALL', P .. 'nodes:load')
for i = 1, #load, 2 do
  load[i + 1] = tostring(tonumber(load[i + 1]) + redis.call('ZCOUNT', P .. 'nodes:reserved:' .. load[i], '(' .. now, '+inf'))
end
return { now, redis.call('HGETALL', P .. 'nodes:info'), redis.call('ZRANGE', P .. 'nodes:deadline', 0, -1, 'WITHSCORES'), load }
`;

interface Scripts {
	parleyBeat(...args: string[]): Promise<BeatResult>;
	parleyPick(...args: string[]): Promise<string | null>;
	parleyConnected(...args: string[]): Promise<number>;
	parleyClaimDead(...args: string[]): Promise<string[]>;
	parleyReleaseOne(...args: string[]): Promise<string>;
	parleyList(...args: string[]): Promise<[number, string[], string[], string[]]>;
}

const SCRIPTS: Record<keyof Scripts, string> = {
	parleyBeat: BEAT,
	parleyPick: PICK,
	parleyConnected: CONNECTED,
	parleyClaimDead: CLAIM_DEAD,
	parleyReleaseOne: RELEASE_ONE,
	parleyList: LIST
};

/**
 * The cluster's chat nodes, in Redis: each one heartbeats its entry (`beat`); gateways `pick` the
 * least-loaded live one; chat nodes `claimDead` the ones whose heartbeat stopped and clean up after
 * them. A node is dead once 3 of its heartbeat intervals pass without a beat.
 */
export class NodeRegistry {
	readonly prefix: string;
	readonly #redis: Redis & Scripts;

	/**
	 * @param options.redis a connection (shared with the rest of the process; not closed here)
	 * @param options.prefix `REDIS_PREFIX`, default `parley:`
	 */
	constructor(options: { redis: Redis; prefix?: string }) {
		this.prefix = options.prefix ?? 'parley:';
		const redis = options.redis as Redis & Partial<Scripts>;
		for (const [name, lua] of Object.entries(SCRIPTS)) {
			if (typeof redis[name as keyof Scripts] !== 'function') redis.defineCommand(name, { numberOfKeys: 0, lua });
		}
		this.#redis = redis as Redis & Scripts;
	}

	/** Creates or renews a node's entry; it lives `ttlMs` by Redis's clock. */
	beat(info: NodeInfo, connections: number, ttlMs: number): Promise<BeatResult> {
		return this.#redis.parleyBeat(this.prefix, info.id, JSON.stringify(info), String(connections), String(Math.round(ttlMs)), info.instance);
	}

	/**
	 * The least-loaded live node that is not draining (ties at random), with a connection reserved on
	 * it for `reserveMs` (a ticket's life); null when none. Pass the reservation to `connected`.
	 * @param options.avoid a node URL the client could not reach: any other live node comes first, as
	 *   a crashed node stays live here until its heartbeat expires (default: none)
	 */
	async pick(reserveMs: number, options: { avoid?: string } = {}): Promise<(NodeInfo & { reservation: string }) | null> {
		const reservation = randomBytes(9).toString('base64url');
		const raw = await this.#redis.parleyPick(this.prefix, String(Math.random()), reservation, String(Math.round(reserveMs)), options.avoid ?? '');
		return raw ? { ...(JSON.parse(raw) as NodeInfo), reservation } : null;
	}

	/** A node's socket count changed; `reservation` (of the ticket a new socket came with) is spent. */
	async connected(id: string, connections: number, reservation?: { node: string; id: string }): Promise<void> {
		if (reservation && reservation.node !== id) await this.#redis.parleyConnected(this.prefix, reservation.node, '', reservation.id);
		await this.#redis.parleyConnected(this.prefix, id, String(connections), reservation?.node === id ? reservation.id : '');
	}

	/** Releases every node whose heartbeat stopped; returns each with the users who went offline with it. */
	async claimDead(): Promise<Array<{ id: string; offline: string[] }>> {
		const flat = await this.#redis.parleyClaimDead(this.prefix);
		const out: Array<{ id: string; offline: string[] }> = [];
		for (let i = 0; i < flat.length; i += 2) out.push({ id: flat[i], offline: decodeList(flat[i + 1]) });
		return out;
	}

	/** Removes one node's entry (of that instance only, when given); returns the users who went offline with it. */
	async release(id: string, instance = ''): Promise<string[]> {
		return decodeList(await this.#redis.parleyReleaseOne(this.prefix, id, instance));
	}

	/** Every registered node, live or dead (until someone claims it), by id. */
	async list(): Promise<NodeStatus[]> {
		const [now, info, deadlines, loads] = await this.#redis.parleyList(this.prefix);
		const deadline = pairs(deadlines);
		const load = pairs(loads);
		return Object.entries(pairs(info))
			.map(([id, raw]) => {
				const node = JSON.parse(raw) as NodeInfo;
				const expiresInMs = deadline[id] === undefined ? -1 : Number(deadline[id]) - now;
				return { ...node, connections: Number(load[id] ?? 0), alive: expiresInMs > 0, expiresInMs };
			})
			.sort((a, b) => a.id.localeCompare(b.id));
	}
}

function pairs(flat: string[]): Record<string, string> {
	const out: Record<string, string> = {};
	for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
	return out;
}

// cjson encodes an empty Lua table as an object.
function decodeList(json: string): string[] {
	const value = JSON.parse(json) as unknown;
	return Array.isArray(value) ? (value as string[]) : [];
}
