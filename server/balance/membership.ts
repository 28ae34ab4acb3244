import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { StartRefused } from './leases.service.js';
import type { NodeInfo, NodeRegistry } from './registry.js';

export interface MembershipOptions {
	registry: NodeRegistry;
	nodeId: string;
	/** The node's `PUBLIC_URL`. */
	url: string;
	/** `NODE_HEARTBEAT_MS`: beat this often; the entry lives 3 times as long. */
	heartbeatMs: number;
	/** This node's sockets now (its load). */
	connections(): number;
	/**
	 * This node had been declared dead (it stalled for 3 intervals: a long pause, Redis out of reach)
	 * and its presence counts were dropped; it is registered again and must count its sockets again.
	 */
	rejoined(): Promise<void>;
	/** Users who went offline because their last socket was on a node that died or left: tell their friends. */
	wentOffline(userIds: string[]): Promise<void>;
	log: Logger;
}

/**
 * A chat node's place in the Redis registry: registers, heartbeats, marks itself draining, leaves.
 * Each beat also claims the nodes whose heartbeat stopped (exactly one node claims each) and cleans up
 * after them, so a crashed node's users go offline once, cluster-wide.
 */
export class Membership {
	readonly #options: MembershipOptions;
	readonly #info: NodeInfo;
	#timer: NodeJS.Timeout | undefined;
	#beating: Promise<void> = Promise.resolve();
	#joined = false;
	#reporting: Promise<void> = Promise.resolve();
	#reportQueued = false;

	constructor(options: MembershipOptions) {
		this.#options = options;
		this.#info = { id: options.nodeId, url: options.url, startedAt: new Date().toISOString(), draining: false, instance: newInstance(options.nodeId) };
	}

	/** This process's registration id; presence counts of this process are kept under it. */
	get instance(): string {
		return this.#info.instance;
	}

	/**
	 * Registers and starts heartbeating. If another live process has this node id, waits up to 4
	 * intervals (it may have just crashed), then refuses with `StartRefused`. A dead entry of an earlier
	 * process with this id (a crash and restart) is cleaned up first.
	 */
	async join(): Promise<void> {
		const { registry, heartbeatMs, log, nodeId } = this.#options;
		const deadline = Date.now() + 4 * heartbeatMs;
		for (;;) {
			const result = await registry.beat(this.#info, this.#options.connections(), 3 * heartbeatMs);
			if (result === 'fresh' || result === 'ok') break;
			if (result === 'stale') {
				log.info(`cleaning up after an earlier process with node id "${nodeId}"`);
				await this.#options.wentOffline(await registry.release(nodeId));
				continue;
			}
			if (Date.now() >= deadline) {
				throw new StartRefused(`another live Parley chat node already has the id "${nodeId}" in this cluster (REDIS_PREFIX "${registry.prefix}"); give each node its own NODE_ID`);
			}
			await new Promise((resolve) => setTimeout(resolve, heartbeatMs));
		}
		this.#joined = true;
		log.info(`joined the cluster as "${nodeId}" (${this.#info.url}), heartbeat every ${heartbeatMs} ms`);
		await this.#claimDead();
		this.#timer = setInterval(() => {
			this.#beating = this.#beat();
		}, heartbeatMs);
		this.#timer.unref();
	}

	/**
	 * The node's socket count changed: the registry's load follows at once (coalesced: one update in
	 * flight at a time, then one more with the latest count), and a new socket's reservation is spent.
	 */
	connectionsChanged(reservation?: { node: string; id: string }): void {
		if (!this.#joined) return;
		if (reservation) {
			void this.#options.registry.connected(this.#info.id, this.#options.connections(), reservation).catch((error) => this.#options.log.warn('reporting a connection failed', error));
			return;
		}
		if (this.#reportQueued) return;
		this.#reportQueued = true;
		this.#reporting = this.#reporting.then(async () => {
			this.#reportQueued = false;
			await this.#options.registry.connected(this.#info.id, this.#options.connections()).catch((error) => this.#options.log.warn('reporting the load failed', error));
		});
	}

	/** Stops being handed out (the change is in the registry before this resolves). */
	async drain(): Promise<void> {
		this.#info.draining = true;
		await this.#beating;
		this.#beating = this.#beat();
		await this.#beating;
	}

	/** Stops heartbeating and removes the entry (and any presence counts still under it). */
	async leave(): Promise<void> {
		clearInterval(this.#timer);
		await this.#beating;
		if (!this.#joined) return;
		this.#joined = false;
		try {
			const offline = await this.#options.registry.release(this.#info.id, this.#info.instance);
			await this.#options.wentOffline(offline);
		} catch (error) {
			this.#options.log.warn('leaving the registry failed (the entry expires by itself)', error);
		}
	}

	async #beat(): Promise<void> {
		const { registry, heartbeatMs, log } = this.#options;
		if (!this.#joined) return;
		try {
			const result = await registry.beat(this.#info, this.#options.connections(), 3 * heartbeatMs);
			if (result === 'fresh') {
				log.warn('this node had been declared dead (stalled for 3 heartbeats?); registered again, counting its sockets again');
				await this.#options.rejoined();
			} else if (result !== 'ok') {
				log.error(`another process now holds this node's id "${this.#info.id}" in the registry (${result}); this node should be stopped`);
			}
			await this.#claimDead();
		} catch (error) {
			log.warn('heartbeat failed; trying again next interval', error);
		}
	}

	async #claimDead(): Promise<void> {
		for (const dead of await this.#options.registry.claimDead()) {
			this.#options.log.warn(`chat node "${dead.id}" missed 3 heartbeats: declared dead; ${dead.offline.length} user(s) went offline with it`);
			await this.#options.wentOffline(dead.offline);
		}
	}
}

function newInstance(nodeId: string): string {
	return `${nodeId}:${randomBytes(6).toString('hex')}`;
}
