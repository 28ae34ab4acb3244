import type { types } from 'mediasoup';
import type { Logger } from '../logger.js';

/**
 * Where a router for more people comes from: one of the call's routers whose worker has room for
 * `need` more consumers, else a new router on a worker with room, else (every worker full) the call's
 * least-loaded router: a call grows past a worker rather than refusing anyone. See `WorkerPool.place`.
 */
export type PlaceRouter = (routers: types.Router[], need: number) => Promise<types.Router>;

/**
 * The routers of one call. It starts on one (the main router, which also observes who speaks); when
 * the worker under it is full, people who join are put on a router on another worker, and each
 * producer they consume from another router is piped there once (`router.pipeToRouter`). A router
 * other than the main one closes when its last person leaves.
 */
export class CallRouters {
	private readonly routers = new Set<types.Router>();
	private readonly ofPeer = new Map<string, types.Router>();
	private readonly placing = new Map<string, Promise<types.Router>>();
	/** Producers piped into a router, by `${routerId}:${producerId}`: piped once, however many consume. */
	private readonly pipes = new Map<string, Promise<void>>();

	constructor(
		readonly main: types.Router,
		private readonly place: PlaceRouter | undefined,
		private readonly lost: () => void,
		private readonly log: Logger
	) {
		this.routers.add(main);
	}

	/** How many routers the call spans (tests and diagnostics). */
	get size(): number {
		return this.routers.size;
	}

	/** The router of `userId`'s transports: chosen on first use for `need` expected consumers. */
	async of(userId: string, need = 1): Promise<types.Router> {
		const known = this.ofPeer.get(userId);
		if (known) return known;
		let placing = this.placing.get(userId);
		if (!placing) {
			placing = this.choose(need).finally(() => this.placing.delete(userId));
			this.placing.set(userId, placing);
		}
		const router = await placing;
		this.ofPeer.set(userId, router);
		return router;
	}

	/** The router `userId` is on, if chosen. */
	peek(userId: string): types.Router | undefined {
		return this.ofPeer.get(userId);
	}

	/** Makes `producerId` (on `from`) consumable on `to`: pipes it there once. */
	async pipe(producerId: string, from: types.Router, to: types.Router): Promise<void> {
		if (from === to) return;
		const key = `${to.id}:${producerId}`;
		let piping = this.pipes.get(key);
		if (!piping) {
			piping = from.pipeToRouter({ producerId, router: to }).then(({ pipeProducer }) => {
				pipeProducer?.observer.once('close', () => this.pipes.delete(key));
			});
			piping.catch(() => this.pipes.delete(key));
			this.pipes.set(key, piping);
		}
		await piping;
	}

	/** `userId` left: a router other than the main one that nobody is on any more closes. */
	release(userId: string): void {
		const router = this.ofPeer.get(userId);
		this.ofPeer.delete(userId);
		if (!router || router === this.main) return;
		if ([...this.ofPeer.values()].includes(router)) return;
		this.routers.delete(router);
		router.close();
		this.log.info(`router "${router.id}" closed: its last person left`);
	}

	close(): void {
		for (const router of this.routers) if (!router.closed) router.close();
		this.routers.clear();
		this.ofPeer.clear();
	}

	private async choose(need: number): Promise<types.Router> {
		if (!this.place) return this.main;
		const router = await this.place([...this.routers], need);
		if (!this.routers.has(router)) {
			if (this.main.closed) {
				router.close();
				return this.main;
			}
			this.routers.add(router);
			router.once('workerclose', () => this.lost());
			router.observer.once('close', () => this.routers.delete(router));
			this.log.info(`the call spans a router on another worker ("${router.id}", ${this.routers.size} in all)`);
		}
		return router;
	}
}
