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
					environment: 'node',
					// Projects with different worker settings must run in distinct groups (vitest 4).
					sequence: { groupOrder: 0 }
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.spec.ts'],
					exclude: ['tests/integration/cluster*.spec.ts'],
					environment: 'node',
					testTimeout: 30_000,
					hookTimeout: 60_000,
					// Each file starts its own servers and databases; two cores run two at a time.
					fileParallelism: true,
					maxWorkers: 2,
					sequence: { groupOrder: 1 }
				}
			},
			{
				extends: true,
				test: {
					// Each file starts a gateway and three chat nodes as child processes: one file at a
					// time, after the other integration tests, so neither starves the other of CPU.
					name: 'cluster',
					include: ['tests/integration/cluster*.spec.ts'],
					environment: 'node',
					testTimeout: 60_000,
					hookTimeout: 120_000,
					fileParallelism: false,
					maxWorkers: 1,
					sequence: { groupOrder: 2 }
				}
			},
			{
				extends: true,
				test: {
					// Load and leak checks (issue 16): a built server in its own process under a thousand
					// sockets, alone on the machine, after everything else.
					name: 'load',
					include: ['tests/load/**/*.spec.ts'],
					environment: 'node',
					testTimeout: 300_000,
					hookTimeout: 180_000,
					fileParallelism: false,
					maxWorkers: 1,
					sequence: { groupOrder: 3 }
				}
			}
		]
	}
});
