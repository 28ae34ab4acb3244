import type { Redis } from 'ioredis';
import type { PresenceStore } from './presence.store.js';

// Counts are kept per node process (`presence:conn:<instance>`) and in total (`presence:online`), so a
// node that dies takes exactly its own counts with it when it is claimed (see balance/registry.ts,
// which names the same keys). A node only counts while it is registered: after it has been declared
// dead and cleaned up, nothing it does can recreate counts that nobody would clean; it counts its
// sockets again (`resync`) once it is registered again.

// ARGV: prefix, node id, instance, user. Returns the user's total after it, or -1 when not registered.
const ADD = `
local P = ARGV[1]
local raw = redis.call('HGET', P .. 'nodes:info', ARGV[2])
if not raw or cjson.decode(raw).instance ~= ARGV[3] then return -1 end
redis.call('HINCRBY', P .. 'presence:conn:' .. ARGV[3], ARGV[4], 1)
return redis.call('HINCRBY', P .. 'presence:online', ARGV[4], 1)
`;

// ARGV: prefix, instance, user. Returns the user's total after it, or -1 when it was not counted here.
const REMOVE = `
local P = ARGV[1]
local conn = P .. 'presence:conn:' .. ARGV[2]
local here = tonumber(redis.call('HGET', conn, ARGV[3]) or '0')
if here <= 0 then return -1 end
if here == 1 then redis.call('HDEL', conn, ARGV[3]) else redis.call('HINCRBY', conn, ARGV[3], -1) end
local left = redis.call('HINCRBY', P .. 'presence:online', ARGV[3], -1)
if left <= 0 then redis.call('HDEL', P .. 'presence:online', ARGV[3]) return 0 end
return left
`;

// ARGV: prefix, node id, instance, then user, count pairs: this process's sockets as they really are.
// Returns [users who came online, users who went offline] as JSON.
const RESYNC = `
local P, inst = ARGV[1], ARGV[3]
local raw = redis.call('HGET', P .. 'nodes:info', ARGV[2])
if not raw or cjson.decode(raw).instance ~= inst then return { '[]', '[]' } end
local conn = P .. 'presence:conn:' .. inst
local old, new, users = {}, {}, {}
local counts = redis.call('HGETALL', conn)
for i = 1, #counts, 2 do old[counts[i]] = tonumber(counts[i + 1]); users[counts[i]] = true end
redis.call('DEL', conn)
for i = 4, #ARGV, 2 do
  new[ARGV[i]] = tonumber(ARGV[i + 1]); users[ARGV[i]] = true
  redis.call('HSET', conn, ARGV[i], ARGV[i + 1])
end
local came, went = {}, {}
for u, _ in pairs(users) do
  local delta = (new[u] or 0) - (old[u] or 0)
  if delta ~= 0 then
    local n = redis.call('HINCRBY', P .. 'presence:online', u, delta)
    if n <= 0 then redis.call('HDEL', P .. 'presence:online', u) end
    if n > 0 and n - delta <= 0 then table.insert(came, u) end
    if n <= 0 and n - delta > 0 then table.insert(went, u) end
  end
end
return { cjson.encode(came), cjson.encode(went) }
`;

interface Scripts {
	parleyPresenceAdd(...args: string[]): Promise<number>;
	parleyPresenceRemove(...args: string[]): Promise<number>;
	parleyPresenceResync(...args: string[]): Promise<[string, string]>;
}

/**
 * Presence over the whole cluster, in Redis: a user is online while they have a socket on any node.
 * `add` says true exactly once cluster-wide when a user's first socket anywhere arrives, `remove` when
 * their last one anywhere goes. Operations of one process run one after another, in order.
 */
export class RedisPresenceStore implements PresenceStore {
	readonly #redis: Redis & Scripts;
	readonly #prefix: string;
	readonly #nodeId: string;
	readonly #instance: () => string;
	/** This process's sockets, by user: what `resync` counts again. */
	readonly #local = new Map<string, Set<string>>();
	#queue: Promise<unknown> = Promise.resolve();

	/**
	 * @param options.redis shared connection (not closed here)
	 * @param options.prefix `REDIS_PREFIX`
	 * @param options.nodeId this node's id in the registry
	 * @param options.instance this process's registration (see `Membership.instance`)
	 */
	constructor(options: { redis: Redis; prefix: string; nodeId: string; instance: () => string }) {
		const redis = options.redis as Redis & Partial<Scripts>;
		if (!redis.parleyPresenceAdd) redis.defineCommand('parleyPresenceAdd', { numberOfKeys: 0, lua: ADD });
		if (!redis.parleyPresenceRemove) redis.defineCommand('parleyPresenceRemove', { numberOfKeys: 0, lua: REMOVE });
		if (!redis.parleyPresenceResync) redis.defineCommand('parleyPresenceResync', { numberOfKeys: 0, lua: RESYNC });
		this.#redis = redis as Redis & Scripts;
		this.#prefix = options.prefix;
		this.#nodeId = options.nodeId;
		this.#instance = options.instance;
	}

	add(userId: string, connectionId: string): Promise<boolean> {
		return this.#inTurn(async () => {
			let set = this.#local.get(userId);
			if (!set) this.#local.set(userId, (set = new Set()));
			set.add(connectionId);
			return (await this.#redis.parleyPresenceAdd(this.#prefix, this.#nodeId, this.#instance(), userId)) === 1;
		});
	}

	remove(userId: string, connectionId: string): Promise<boolean> {
		return this.#inTurn(async () => {
			const set = this.#local.get(userId);
			if (!set?.delete(connectionId)) return false;
			if (set.size === 0) this.#local.delete(userId);
			return (await this.#redis.parleyPresenceRemove(this.#prefix, this.#instance(), userId)) === 0;
		});
	}

	async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
		if (userIds.length === 0) return new Set();
		const counts = await this.#redis.hmget(`${this.#prefix}presence:online`, ...userIds);
		return new Set(userIds.filter((_, i) => Number(counts[i] ?? 0) > 0));
	}

	/** Counts this process's sockets again (after it was declared dead and registered again). */
	resync(): Promise<{ online: string[]; offline: string[] }> {
		return this.#inTurn(async () => {
			const args: string[] = [];
			for (const [userId, set] of this.#local) args.push(userId, String(set.size));
			const [came, went] = await this.#redis.parleyPresenceResync(this.#prefix, this.#nodeId, this.#instance(), ...args);
			return { online: list(came), offline: list(went) };
		});
	}

	async close(): Promise<void> {
		await this.#queue;
		this.#local.clear();
	}

	#inTurn<T>(work: () => Promise<T>): Promise<T> {
		const result = this.#queue.then(work);
		this.#queue = result.catch(() => undefined);
		return result;
	}
}

function list(json: string): string[] {
	const value = JSON.parse(json) as unknown;
	return Array.isArray(value) ? (value as string[]) : [];
}
