import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.js';
import type { ChatProcessSpec } from './plan.js';

export interface ChatProcessesOptions {
	children: readonly ChatProcessSpec[];
	/** The entry each child runs (this process's own: `process.argv[1]`). */
	script: string;
	/** Node's options for the children (this process's own: `process.execArgv`, e.g. tsx's loader). Default none. */
	execArgv?: readonly string[];
	/** The environment the children's own settings go over (this process's). */
	env: NodeJS.ProcessEnv;
	/** A child that exits unasked is started again after this long, doubling up to 30 s while it keeps failing. Default 1000. */
	restartMs?: number;
	log: Logger;
}

/** A child that ran this long before exiting had started fine: its next restart waits the shortest time again. */
const HEALTHY_MS = 60_000;
const MAX_RESTART_MS = 30_000;
/** EX_CONFIG: the child's settings are wrong, and starting it again will not change them. */
const CONFIG_ERROR = 78;

/**
 * The chat processes of `CHAT_PROCESSES`, started, restarted when they exit unasked, and stopped with
 * this process. Each child has an IPC channel to this one: when this process dies, even by SIGKILL,
 * the channel closes and the child drains and exits by itself (`watchParent`), so none is left behind.
 * Each is in a process group of its own, so a terminal's Ctrl-C reaches this process alone, which then
 * drains every child once (as `npm run cluster` does).
 */
export class ChatProcesses {
	readonly #options: ChatProcessesOptions;
	readonly #running = new Map<string, ChildProcess>();
	#stopping = false;

	private constructor(options: ChatProcessesOptions) {
		this.#options = options;
	}

	static start(options: ChatProcessesOptions): ChatProcesses {
		const processes = new ChatProcesses(options);
		for (const spec of options.children) processes.#spawn(spec, options.restartMs ?? 1000);
		return processes;
	}

	/** The process ids of the children running now. */
	pids(): number[] {
		return [...this.#running.values()].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
	}

	/**
	 * Asks every child to drain and stop (SIGTERM), and waits for them; one still running after
	 * `timeoutMs` is killed.
	 */
	async stop(timeoutMs: number): Promise<void> {
		this.#stopping = true;
		await Promise.all(
			[...this.#running.values()].map(async (child) => {
				const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
				child.kill('SIGTERM');
				const timer = setTimeout(() => {
					this.#options.log.warn(`chat process pid ${child.pid} still running ${timeoutMs} ms after SIGTERM: killing it`);
					child.kill('SIGKILL');
				}, timeoutMs);
				await exited;
				clearTimeout(timer);
			})
		);
	}

	#spawn(spec: ChatProcessSpec, restartMs: number): void {
		const { script, execArgv = [], env, log } = this.#options;
		const startedAt = Date.now();
		const child = spawn(process.execPath, [...execArgv, script], {
			env: { ...env, ...spec.env },
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
			detached: true
		});
		this.#running.set(spec.name, child);
		log.info(`chat process ${spec.name} (pid ${child.pid}) starting at ${spec.url}`);
		child.once('exit', (code, signal) => {
			this.#running.delete(spec.name);
			if (this.#stopping) return;
			const how = signal ?? `code ${code}`;
			if (code === CONFIG_ERROR) {
				log.error(`chat process ${spec.name} exited (${how}): its settings are wrong (see its log); not starting it again`);
				return;
			}
			const wait = Date.now() - startedAt > HEALTHY_MS ? (this.#options.restartMs ?? 1000) : restartMs;
			log.error(`chat process ${spec.name} exited (${how}); starting it again in ${wait} ms`);
			setTimeout(() => {
				if (!this.#stopping) this.#spawn(spec, Math.min(2 * wait, MAX_RESTART_MS));
			}, wait);
		});
	}
}

/**
 * In a child started with an IPC channel (by `ChatProcesses`, or a benchmark's fork): calls `stop` once
 * the parent is gone, whichever way it went (SIGKILL too: the channel closes with the process).
 */
export function watchParent(stop: () => void): void {
	if (!process.send) return;
	if (!process.connected) stop();
	else process.once('disconnect', stop);
}
