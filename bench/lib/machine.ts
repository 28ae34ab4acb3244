// What every scenario records beside its figures: the machine, and how busy it was (the load average
// before and after), since a figure from a busy machine is not a figure; and the one place results are
// written, `bench/results/NAME.json`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Machine {
	cpus: number;
	cpu: string;
	memoryGiB: number;
	node: string;
	platform: string;
}

export function machine(): Machine {
	return {
		cpus: os.cpus().length,
		cpu: os.cpus()[0]?.model ?? 'unknown',
		memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
		node: process.version,
		platform: `${os.platform()} ${os.release()}`
	};
}

/** The 1-minute load average. */
export function loadAverage(): number {
	return Math.round(os.loadavg()[0] * 100) / 100;
}

/** One line for the top of a printed table: `2 × AMD EPYC…, Node v20…, load 1.2 → 3.4`. */
export function describeRun(m: Machine, load: { before: number; after: number }): string {
	return `${m.cpus} × ${m.cpu}, Node ${m.node}, load ${load.before.toFixed(1)} → ${load.after.toFixed(1)}`;
}

export const RESULTS_DIR = path.join(import.meta.dirname, '..', 'results');

/** Writes `bench/results/NAME.json` (pretty, with a final newline); returns its path. */
export function writeResults(name: string, result: unknown): string {
	fs.mkdirSync(RESULTS_DIR, { recursive: true });
	const file = path.join(RESULTS_DIR, `${name}.json`);
	fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
	return file;
}
