import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';
import { parleyDevServer } from './scripts/vite-dev-server';

export default defineConfig({
	plugins: [sveltekit(), parleyDevServer()],
	test: {
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['src/**/*.spec.ts', 'server/**/*.spec.ts'],
					environment: 'node'
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.spec.ts'],
					environment: 'node',
					testTimeout: 30_000,
					hookTimeout: 60_000,
					// Each file starts its own servers and databases; two cores run two at a time.
					fileParallelism: true,
					maxWorkers: 2
				}
			}
		]
	}
});
