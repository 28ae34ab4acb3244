import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A real, small file system (tmpfs of `bytes`) mounted on a fresh directory, for running out of disk
 * for real: writes past its size fail with ENOSPC. Needs root (CI runs as root); `grow` gives it room
 * again as an operator would (a remount with a larger size), `unmount` removes it.
 */
export interface SmallDisk {
	dir: string;
	/** Remounts with a new size, keeping what is on it. */
	resize(bytes: number): void;
	/** Bytes free now. */
	free(): number;
	unmount(): void;
}

export function mountSmallDisk(bytes: number): SmallDisk {
	if (process.getuid?.() !== 0) throw new Error('mountSmallDisk needs root to mount a tmpfs (CI runs the tests as root)');
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-small-disk-'));
	execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]);
	return {
		dir,
		resize(size) {
			execFileSync('mount', ['-o', `remount,size=${size}`, dir]);
		},
		free() {
			const s = fs.statfsSync(dir);
			return s.bavail * s.bsize;
		},
		unmount() {
			execFileSync('umount', ['-l', dir]);
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}
