// `npm run files:rotate-key`: bundles server/files/crypto/rotate-cli.ts into build/rotate-key.js (as
// scripts/backup.mjs does) and runs it; where the sources or esbuild are gone (a Docker image), runs the
// build/rotate-key.js that `npm run build` made. See docs/DEPLOY.md, "Files encrypted at rest".
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const entry = path.join(root, 'build', 'rotate-key.js');
const source = path.join(root, 'server', 'files', 'crypto', 'rotate-cli.ts');
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
