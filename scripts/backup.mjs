// `npm run backup` / `npm run restore`: bundles server/backup/cli.ts into build/backup.js (a fraction of a
// second with esbuild) and runs it; where the sources or esbuild are gone (a Docker image), runs the
// build/backup.js that `npm run build` made. Arguments: `backup [--out DIR]` or `restore --from DIR`.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const entry = path.join(root, 'build', 'backup.js');
const source = path.join(root, 'server', 'backup', 'cli.ts');
if (fs.existsSync(source)) {
	try {
		const { build } = await import('esbuild');
		const { serverBuildOptions } = await import('./build-server.mjs');
		await build({ ...serverBuildOptions, entryPoints: [source], outfile: entry, logLevel: 'error' });
	} catch (error) {
		if (!fs.existsSync(entry)) throw error;
	}
}
await import(pathToFileURL(entry).href);
