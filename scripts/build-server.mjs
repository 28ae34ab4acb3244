// Bundles server/ (TypeScript) into build/server.js beside SvelteKit's build/handler.js.
// Packages stay external: they are loaded from node_modules at run time.
import { build } from 'esbuild';

await build({
	entryPoints: ['server/main.ts'],
	outfile: 'build/server.js',
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	packages: 'external',
	sourcemap: true,
	logLevel: 'warning'
});
console.log('built build/server.js');
