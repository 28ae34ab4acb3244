import { createRequire } from 'node:module';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from '../logger.js';
import { MEDIA_CODECS } from './codecs.js';

export interface WorkerPoolOptions {
	/** The mediasoup-worker binary (see `findWorkerBinary`). */
	bin: string;
	/** Worker processes. */
	count: number;
	/** The RTC port range every worker binds its transports in (a worker skips ports in use). */
	minPort: number;
	maxPort: number;
	/** Called when a worker died (it is replaced; each of its routers reports `workerclose` to its call). */
	died?: (pid: number) => void;
	log: Logger;
}

/**
 * mediasoup workers, one per core by default. Each counts its consumers (its load): `router()` puts a
 * new call on the least-loaded one, `place()` finds room for more people of a call. A worker
 * that dies is replaced (after a short pause, so a crash loop does not spin); the routers it held emit
 * `workerclose`, which ends their calls (`CallMedia`).
 */
export class WorkerPool {
	private readonly workers: Array<types.Worker | null>;
	private next = 0;
	private closed = false;
	private readonly timers = new Set<NodeJS.Timeout>();
	/** Consumers (pipe consumers too) per worker, and which worker each router is on. */
	private readonly loads = new Map<types.Worker, number>();
	private readonly owners = new WeakMap<types.Router, types.Worker>();

	private constructor(private readonly options: WorkerPoolOptions) {
		this.workers = new Array(options.count).fill(null);
	}

	/** Starts `count` workers; fails when the first one cannot start (a broken binary). */
	static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
		// mediasoup reads its binary's path from the environment when it loads; set it on the module instead.
		const require = createRequire(import.meta.url);
		(require('mediasoup/node/lib/Worker.js') as { workerBin: string }).workerBin = options.bin;
		const pool = new WorkerPool(options);
		try {
			for (let i = 0; i < options.count; i++) pool.workers[i] = await pool.spawn(i);
		} catch (error) {
			pool.close();
			throw error;
		}
		return pool;
	}

	get size(): number {
		return this.workers.filter(Boolean).length;
	}

	/** The pids of the live workers (tests kill one to see the calls on it end). */
	pids(): number[] {
		return this.workers.flatMap((w) => (w ? [w.pid] : []));
	}

	/** The consumers on each live worker, in the pool's order. */
	loadsByWorker(): number[] {
		return this.live().map((w) => this.loads.get(w) ?? 0);
	}

	/** A new router on the least-loaded live worker (ties in turn). */
	async router(): Promise<types.Router> {
		const live = this.live();
		if (live.length === 0) throw new Error('no live mediasoup worker');
		this.next = (this.next + 1) % live.length;
		const rotated = [...live.slice(this.next), ...live.slice(0, this.next)];
		const worker = rotated.reduce((best, w) => (this.load(w) < this.load(best) ? w : best));
		return worker.createRouter({ mediaCodecs: MEDIA_CODECS });
	}

	/**
	 * Room for `need` more consumers of a call on `routers`: the least-loaded of them whose worker
	 * stays within `max`; else a new router on the least-loaded other worker within `max`; else (every
	 * worker full) the least-loaded of them, over `max`: a call grows rather than refusing anyone.
	 */
	async place(routers: types.Router[], need: number, max: number): Promise<types.Router> {
		const open = routers.filter((r) => !r.closed && this.owners.has(r));
		const byLoad = (a: types.Router, b: types.Router) => this.load(this.owners.get(a)!) - this.load(this.owners.get(b)!);
		const fits = open.filter((r) => this.load(this.owners.get(r)!) + need <= max).sort(byLoad);
		if (fits.length > 0) return fits[0];
		const used = new Set(open.map((r) => this.owners.get(r)));
		const other = this.live()
			.filter((w) => !used.has(w) && this.load(w) + need <= max)
			.sort((a, b) => this.load(a) - this.load(b))[0];
		if (other) return other.createRouter({ mediaCodecs: MEDIA_CODECS });
		if (open.length > 0) return open.sort(byLoad)[0];
		return this.router();
	}

	private live(): types.Worker[] {
		return this.workers.filter((w): w is types.Worker => w !== null && !w.closed);
	}

	private load(worker: types.Worker): number {
		return this.loads.get(worker) ?? 0;
	}

	/** Counts the worker's consumers as they come and go. */
	private count(worker: types.Worker): void {
		this.loads.set(worker, 0);
		const add = (n: number) => this.loads.set(worker, (this.loads.get(worker) ?? 0) + n);
		worker.observer.on('newrouter', (router: types.Router) => {
			this.owners.set(router, worker);
			router.observer.on('newtransport', (transport: types.Transport) => {
				transport.observer.on('newconsumer', (consumer: types.Consumer) => {
					add(1);
					consumer.observer.once('close', () => add(-1));
				});
			});
		});
		worker.observer.once('close', () => this.loads.delete(worker));
	}

	close(): void {
		this.closed = true;
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
		for (const w of this.workers) w?.close();
		this.workers.fill(null);
	}

	private async spawn(index: number): Promise<types.Worker> {
		const { minPort, maxPort, log } = this.options;
		const worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: minPort, rtcMaxPort: maxPort });
		this.count(worker);
		const wlog = log.with({ worker: worker.pid });
		wlog.info(`mediasoup worker ${index} started`);
		worker.once('died', (error: Error) => {
			wlog.error(`mediasoup worker ${index} died; its calls end`, error);
			this.workers[index] = null;
			try {
				this.options.died?.(worker.pid);
			} catch (e) {
				wlog.error('reporting a dead worker failed', e);
			}
			this.respawn(index, 0);
		});
		return worker;
	}

	private respawn(index: number, attempt: number): void {
		if (this.closed) return;
		const timer = setTimeout(
			() => {
				this.timers.delete(timer);
				if (this.closed) return;
				this.spawn(index)
					.then((worker) => {
						if (this.closed) worker.close();
						else this.workers[index] = worker;
					})
					.catch((error) => {
						this.options.log.error(`restarting mediasoup worker ${index} failed`, error);
						this.respawn(index, attempt + 1);
					});
			},
			Math.min(30_000, 200 * 2 ** attempt)
		);
		this.timers.add(timer);
	}
}
