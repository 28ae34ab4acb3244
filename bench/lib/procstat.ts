// Figures of another process read from Linux's /proc, so the process under test needs no hook for
// them: resident memory, CPU time, open files and the open-file limit. Linux only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on nearly every Linux): the unit of /proc/PID/stat times. */
export function clockTicks(): number {
	if (ticks === undefined) {
		try {
			ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
		} catch {
			ticks = 100;
		}
	}
	return ticks;
}

/** User plus system CPU seconds the process has used so far (fields 14 and 15 of /proc/PID/stat). */
export function cpuSeconds(pid: number): number {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	// The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// fields[0] is field 3 (state), so field n is fields[n - 3].
	return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

export interface ProcMemory {
	/** Resident set size now (VmRSS). */
	rssBytes: number;
	/** The highest RSS so far (VmHWM). */
	peakRssBytes: number;
}

/** VmRSS and VmHWM from /proc/PID/status. */
export function procMemory(pid: number): ProcMemory {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
	return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** How many files (sockets included) the process has open. */
export function openFiles(pid: number): number {
	return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** The process's open-file limit (RLIMIT_NOFILE), soft and hard, from /proc/PID/limits. */
export function fileLimit(pid: number): { soft: number; hard: number } {
	const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'));
	const n = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Infinity : Number(s));
	return { soft: n(line?.[1]), hard: n(line?.[2]) };
}

export interface CpuWindow {
	/** Wall seconds the window lasted. */
	seconds: number;
	/** CPU seconds the process used in it. */
	cpuSeconds: number;
	/** `cpuSeconds` per minute of wall time. */
	perMinute: number;
}

/**
 * The process's CPU use over the next `ms` milliseconds (or until `signal` aborts: the window then
 * ends early and says how long it was).
 */
export async function measureCpu(pid: number, ms: number, signal?: AbortSignal): Promise<CpuWindow> {
	const startCpu = cpuSeconds(pid);
	const start = performance.now();
	await new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, ms);
		signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
	});
	const seconds = (performance.now() - start) / 1000;
	const used = cpuSeconds(pid) - startCpu;
	return { seconds, cpuSeconds: used, perMinute: seconds > 0 ? (used / seconds) * 60 : 0 };
}
