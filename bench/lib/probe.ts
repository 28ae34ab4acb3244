// Memory figures from inside a server under test, for a benchmark that started it with an IPC channel
// (`spawnNode`): `{ type: 'memory' }` is answered with process.memoryUsage() taken after a full garbage
// collection (when Node runs with --expose-gc; `gc` says whether it did), and `{ type: 'snapshot',
// file }` writes a V8 heap snapshot there (for finding what each connection keeps; open it in Chrome's
// DevTools). Installed by the benchmark's own entry files (parley-entry.ts, ws-hold-server.ts), never
// by the production server.
import v8 from 'node:v8';

export interface ProbedMemory {
	type: 'memory';
	/** Whether a full GC ran first. */
	gc: boolean;
	/** NaN when the process is out of file descriptors (so are `arrayBuffers`): take VmRSS from /proc instead. */
	rss: number;
	heapUsed: number;
	heapTotal: number;
	external: number;
	arrayBuffers: number;
}

export function installMemoryProbe(): void {
	if (!process.send) return;
	process.on('message', (message: { type?: string; file?: string }) => {
		if (message?.type === 'snapshot' && message.file) {
			process.send!({ type: 'snapshot', file: v8.writeHeapSnapshot(message.file) });
			return;
		}
		if (message?.type !== 'memory') return;
		const gc = (globalThis as { gc?: () => void }).gc;
		// Twice: the first pass may only queue finalizers whose objects the second frees.
		gc?.();
		gc?.();
		let m: NodeJS.MemoryUsage;
		try {
			m = process.memoryUsage();
		} catch {
			// memoryUsage() opens /proc/self/stat for the RSS: a server at its open-file limit gets EMFILE.
			// The heap figures need no file (read VmRSS from outside: procstat.ts).
			const h = v8.getHeapStatistics();
			m = { rss: NaN, heapUsed: h.used_heap_size, heapTotal: h.total_heap_size, external: h.external_memory, arrayBuffers: NaN };
		}
		process.send!({ type: 'memory', gc: gc !== undefined, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers } satisfies ProbedMemory);
	});
	// The channel must not keep a server alive that would otherwise exit.
	process.channel?.unref();
}
