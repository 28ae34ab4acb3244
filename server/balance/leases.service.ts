import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import * as repo from './leases.repository.js';

/** The process must not start: another one holds what it needs. The message says what to do. */
export class StartRefused extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'StartRefused';
	}
}

export interface NodeLeaseOptions {
	db: Kysely<Database>;
	nodeId: string;
	url: string;
	/** `alone`: this node runs without Redis and must be the only chat node on the database. `cluster`: one of many, over Redis. */
	mode: 'alone' | 'cluster';
	/** The lease is renewed this often and lives 3 times as long. */
	heartbeatMs: number;
	log: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A chat node's lease on its database: it is how a second chat node without Redis finds out that one
 * is already running (and how a node without Redis finds a cluster, and the other way round). Times
 * are this process's clock; machines sharing a database are assumed to keep theirs within a second
 * (NTP), far less than the 3 heartbeats a lease lives.
 */
export class NodeLease {
	readonly #options: NodeLeaseOptions;
	readonly #name: string;
	#timer: NodeJS.Timeout | undefined;
	#renewing: Promise<void> = Promise.resolve();

	private constructor(options: NodeLeaseOptions) {
		this.#options = options;
		this.#name = options.mode === 'alone' ? repo.ALONE : repo.clusterLease(options.nodeId);
	}

	/**
	 * Takes the lease and keeps it by heartbeat. A lease held by a live node is waited out for up to 4
	 * heartbeats (its holder may have just crashed: then it expires); if it is still renewed, the
	 * start is refused with `StartRefused`.
	 */
	static async acquire(options: NodeLeaseOptions): Promise<NodeLease> {
		const lease = new NodeLease(options);
		const deadline = Date.now() + 4 * options.heartbeatMs;
		let waited = false;
		for (;;) {
			const holder = await lease.#tryTake();
			if (!holder) break;
			if (Date.now() >= deadline) throw new StartRefused(refusal(options, holder));
			if (!waited) options.log.info(`the lease of chat node "${holder.node_id}" is still live; waiting up to ${(4 * options.heartbeatMs) / 1000} s in case it crashed`);
			waited = true;
			await sleep(options.heartbeatMs);
		}
		lease.#timer = setInterval(() => {
			lease.#renewing = lease.#renew();
		}, options.heartbeatMs);
		lease.#timer.unref();
		return lease;
	}

	/** Stops renewing and gives the lease back, so another node can start at once. */
	async release(): Promise<void> {
		clearInterval(this.#timer);
		await this.#renewing;
		await repo.deleteLease(this.#options.db, this.#name, this.#options.nodeId).catch((error) => this.#options.log.warn('giving the lease back failed (it expires by itself)', error));
	}

	/** Takes the lease; or returns the live lease that stands in the way. */
	async #tryTake(): Promise<repo.LeaseRow | null> {
		const { db, nodeId, url, mode, heartbeatMs } = this.#options;
		const now = Date.now();
		const mine: repo.LeaseRow = { name: this.#name, node_id: nodeId, mode, url, started_at: iso(now), expires_at: iso(now + 3 * heartbeatMs) };
		// A node without Redis and a cluster node never share a database.
		if (mode === 'alone') {
			const [other] = await repo.liveClusterLeases(db, iso(now));
			if (other) return other;
		} else {
			const alone = await repo.findLease(db, repo.ALONE);
			if (alone && alone.expires_at > iso(now)) return alone;
		}
		const existing = await repo.findLease(db, this.#name);
		if (!existing) {
			try {
				await repo.insertLease(db, mine);
				return null;
			} catch (error) {
				if (!isUniqueViolation(error)) throw error;
				return this.#tryTake(); // another node inserted first: look at its lease
			}
		}
		// A cluster node's own name (`chat:<id>`) is taken over even when live: the Redis registry is what
		// refuses two live processes with one NODE_ID.
		if (mode === 'alone' && existing.node_id !== nodeId && existing.expires_at > iso(now)) return existing;
		if (await repo.takeOver(db, existing, mine)) return null;
		return this.#tryTake(); // it changed under us: look again
	}

	async #renew(): Promise<void> {
		const { db, nodeId, heartbeatMs, log } = this.#options;
		try {
			if (await repo.renewLease(db, this.#name, nodeId, iso(Date.now() + 3 * heartbeatMs))) return;
			// Lost: this process stalled for longer than the lease lives, and maybe another node took it.
			const holder = await this.#tryTake();
			if (holder) log.error(refusal(this.#options, holder) + '; this node should be stopped');
			else log.warn('the database lease had expired (this process stalled?); taken again');
		} catch (error) {
			log.warn('renewing the database lease failed; trying again next heartbeat', error);
		}
	}
}

function refusal(options: NodeLeaseOptions, holder: repo.LeaseRow): string {
	if (options.mode === 'alone' && holder.mode === 'alone') {
		return `another Parley chat node (id ${holder.node_id}, ${holder.url}) is running against this database; set REDIS_URL on every node to run several`;
	}
	if (options.mode === 'alone') {
		return `Parley chat nodes with REDIS_URL (id ${holder.node_id}, ${holder.url}) are running against this database; set REDIS_URL here too to join them`;
	}
	return `a Parley chat node without REDIS_URL (id ${holder.node_id}, ${holder.url}) is running against this database; stop it or set REDIS_URL on it too`;
}
