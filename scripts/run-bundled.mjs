// Runs a server-side command line tool (`npm run backup`, `npm run files:rotate-key`): bundles its
// TypeScript `source` into `build/<name>` with the server's esbuild options (a fraction of a second)
// and imports that; where the sources or esbuild are gone (a Docker image), imports the
// `build/<name>` that `npm run build` made.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** @param {string} source relative to the project root  @param {string} name the bundle in build/ */
export async function runBundled(source, name) {
	const entry = path.join(root, 'build', name);
	const from = path.join(root, source);
	if (fs.existsSync(from)) {
		try {
			const { build } = await import('esbuild');
			const { serverBuildOptions } = await import('./build-server.mjs');
			await build({ ...serverBuildOptions, entryPoints: [from], outfile: entry, logLevel: 'error' });
		} catch (error) {
			if (!fs.existsSync(entry)) throw error;
		}
	}
	await import(pathToFileURL(entry).href);
}
