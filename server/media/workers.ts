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
 * mediasoup workers, one per core by default; `router()` spreads calls over them round-robin. A worker
 * that dies is replaced (after a short pause, so a crash loop does not spin); the routers it held emit
 * `workerclose`, which ends their calls (`CallMedia`).
 */
export class WorkerPool {
	private readonly workers: Array<types.Worker | null>;
	private next = 0;
	private closed = false;
	private readonly timers = new Set<NodeJS.Timeout>();

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

	/** A new router on the next live worker. */
	async router(): Promise<types.Router> {
		for (let tries = 0; tries < this.workers.length; tries++) {
			const worker = this.workers[this.next];
			this.next = (this.next + 1) % this.workers.length;
			if (worker && !worker.closed) return worker.createRouter({ mediaCodecs: MEDIA_CODECS });
		}
		throw new Error('no live mediasoup worker');
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
