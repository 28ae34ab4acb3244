import { defineConfig, devices } from '@playwright/test';

// Browser tests drive Debian's Chromium (never a downloaded browser) against the built app; each worker
// starts its own server (tests/e2e/fixtures.ts), so there is no `webServer` here.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Calls (tests/e2e/call.spec.ts): a fake camera, microphone and screen, and no permission prompts.
const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--auto-select-desktop-capture-source=Entire screen'];

export default defineConfig({
	testDir: 'tests/e2e',
	globalSetup: './tests/e2e/global-setup.ts',
	workers: 2,
	retries: 0,
	// Generous: CI machines run these beside the integration suites.
	timeout: 60_000,
	expect: { timeout: 10_000 },
	forbidOnly: !!process.env.CI,
	reporter: 'list',
	outputDir: 'test-results/e2e',
	use: {
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure'
	},
	projects: [
		{
			name: 'chromium',
			use: {
				...devices['Desktop Chrome'],
				launchOptions: {
					executablePath: chromium,
					args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', ...FAKE_MEDIA]
				}
			}
		}
	]
});
