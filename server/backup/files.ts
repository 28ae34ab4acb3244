import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** What a copy held. */
export interface CopyCount {
	files: number;
	bytes: number;
}

/**
 * Copies the regular files under `from` to `to` (made as needed), but for the paths `skip` names
 * (absolute) and half-written pictures (`*.part`, renamed into place when done). A file removed
 * while the copy runs is left out; one being written (an unfinished upload) is copied as far as it
 * got, which tus reads as its offset. A missing `from` copies nothing.
 */
export async function copyTree(from: string, to: string, skip: ReadonlySet<string> = new Set()): Promise<CopyCount> {
	const count: CopyCount = { files: 0, bytes: 0 };
	const walk = async (dir: string, out: string): Promise<void> => {
		let entries: fs.Dirent[];
		try {
			entries = await fsp.readdir(dir, { withFileTypes: true });
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
			throw error;
		}
		await fsp.mkdir(out, { recursive: true });
		for (const entry of entries) {
			const source = path.join(dir, entry.name);
			if (skip.has(source) || entry.name.endsWith('.part')) continue;
			const target = path.join(out, entry.name);
			if (entry.isDirectory()) await walk(source, target);
			else if (entry.isFile()) {
				try {
					await fsp.copyFile(source, target, fs.constants.COPYFILE_EXCL);
				} catch (error) {
					if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
					throw error;
				}
				count.files++;
				count.bytes += (await fsp.stat(target)).size;
			}
		}
	};
	await walk(path.resolve(from), path.resolve(to));
	return count;
}

/** The first regular file under `dir` (none when it is missing or holds only directories). */
export function firstFile(dir: string): string | undefined {
	if (!fs.existsSync(dir)) return undefined;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, entry.name);
		if (entry.isFile()) return p;
		if (entry.isDirectory()) {
			const inner = firstFile(p);
			if (inner) return inner;
		}
	}
	return undefined;
}
