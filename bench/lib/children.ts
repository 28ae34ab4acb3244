// Child processes of a benchmark (servers under test, load generators), started one way and always
// cleaned up: every child started here is killed when the benchmark exits, however it exits (normal
// end, an exception, Ctrl-C), so a failed run leaves nothing holding ports or memory behind.
import { spawn, type ChildProcess } from 'node:child_process';

/** The `--import` argument that lets a child run TypeScript (tsx), resolved from this repository. */
export const TSX_IMPORT = import.meta.resolve('tsx');

const running = new Set<ChildProcess>();

function killAll(): void {
	for (const child of running) child.kill('SIGKILL');
	running.clear();
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		killAll();
		process.exit(130);
	});
}

export interface NodeChild {
	child: ChildProcess;
	pid: number;
	/** The last lines of the child's stdout and stderr, for error messages. */
	output(): string;
	/** Resolves with the exit code (or signal name) once the child has exited. */
	exited: Promise<number | string>;
	/** Sends one IPC message and resolves with the first reply `accept` takes; rejects after `timeoutMs` or if the child exits. */
	request<T>(message: unknown, accept: (reply: any) => T | undefined, timeoutMs: number): Promise<T>;
	/** SIGTERM, then SIGKILL if still running after `graceMs` (default 10,000). */
	stop(graceMs?: number): Promise<void>;
}

export interface SpawnNodeOptions {
	/** The TypeScript or JavaScript file to run. */
	script: string;
	args?: string[];
	/** Node flags before the script (`--expose-gc`). */
	execArgv?: string[];
	/** Run through tsx (its `--import` added). Default true. */
	tsx?: boolean;
	env?: NodeJS.ProcessEnv;
	cwd?: string;
	/** Lines of output kept for `output()`. Default 40. */
	keepLines?: number;
}

/** Runs `node --import tsx script` with an IPC channel; the child is killed when this process exits. */
export function spawnNode(options: SpawnNodeOptions): NodeChild {
	const loader = options.tsx === false ? [] : ['--import', TSX_IMPORT];
	const child = spawn(process.execPath, [...(options.execArgv ?? []), ...loader, options.script, ...(options.args ?? [])], {
		cwd: options.cwd,
		env: options.env ?? process.env,
		stdio: ['ignore', 'pipe', 'pipe', 'ipc']
	});
	running.add(child);
	const lines: string[] = [];
	const keep = options.keepLines ?? 40;
	const collect = (chunk: Buffer) => {
		lines.push(...chunk.toString().split('\n').filter(Boolean));
		if (lines.length > keep) lines.splice(0, lines.length - keep);
	};
	child.stdout!.on('data', collect);
	child.stderr!.on('data', collect);
	const exited = new Promise<number | string>((resolve) =>
		child.once('exit', (code, signal) => {
			running.delete(child);
			resolve(code ?? signal ?? 'unknown');
		})
	);
	// A child that dies mid-send must not take the benchmark with it; `request` reports the exit instead.
	child.on('error', () => {});
	const output = () => lines.join('\n');
	return {
		child,
		pid: child.pid!,
		output,
		exited,
		request(message, accept, timeoutMs) {
			return new Promise((resolve, reject) => {
				const done = () => {
					clearTimeout(timer);
					child.off('message', onMessage);
				};
				const onMessage = (reply: unknown) => {
					const value = accept(reply);
					if (value === undefined) return;
					done();
					resolve(value);
				};
				const timer = setTimeout(() => {
					done();
					reject(new Error(`no answer to ${JSON.stringify(message).slice(0, 80)} within ${timeoutMs} ms`));
				}, timeoutMs);
				child.on('message', onMessage);
				void exited.then((code) => {
					done();
					reject(new Error(`child ${child.pid} exited (${code}) before answering; its last output:\n${output()}`));
				});
				if (child.connected) child.send(message as object);
			});
		},
		async stop(graceMs = 10_000) {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
			await exited;
			clearTimeout(timer);
		}
	};
}
