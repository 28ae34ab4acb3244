// Bundles server/ (TypeScript) into build/server.js beside SvelteKit's build/handler.js.
// Packages stay external: they are loaded from node_modules at run time.
import { build } from 'esbuild';
import { pathToFileURL } from 'node:url';

/**
 * The bundle's esbuild options, but for what goes in and where it goes out; bench/lib/parley-process.ts
 * bundles its probed server with the same ones, so a benchmark measures what production runs.
 * @type {import('esbuild').BuildOptions}
 */
export const serverBuildOptions = {
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	packages: 'external',
	sourcemap: true,
	logLevel: 'warning'
};

// Imported for its options, it builds nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	await build({ ...serverBuildOptions, entryPoints: ['server/main.ts'], outfile: 'build/server.js' });
	// `npm run backup` / `npm run restore` (scripts/backup.mjs), and `node build/backup.js backup` where only the build is kept.
	await build({ ...serverBuildOptions, entryPoints: ['server/backup/cli.ts'], outfile: 'build/backup.js' });
	// `npm run files:rotate-key` (scripts/files-rotate-key.mjs), and `node build/rotate-key.js` where only the build is kept.
	await build({ ...serverBuildOptions, entryPoints: ['server/files/crypto/rotate-cli.ts'], outfile: 'build/rotate-key.js' });
	console.log('built build/server.js, build/backup.js and build/rotate-key.js');
}
