// `npm test`: every test Parley has. Unit and integration tests (vitest) against SQLite, PostgreSQL,
// MariaDB and Redis, then browser tests (Playwright driving Debian's Chromium) against a fresh build.
// What the machine lacks is started or installed where possible; outside CI a missing backend is
// skipped with one line saying how to get it, in CI (CI=true) it fails the run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureChromium, ensureServices } from './services.mjs';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const args = process.argv.slice(2);
const only = (name) => args.length === 0 || args.includes(name);
const problems = [];
const counts = { passed: 0, failed: 0, skipped: 0 };
// The names of the failed tests, repeated at the end: a CI log often keeps only its tail.
const failures = [];

const up = await ensureServices();
const backends = ['sqlite', ...['postgres', 'mysql'].filter((b) => up.includes(b))];
if (ci) for (const name of ['postgres', 'mysql', 'redis']) if (!up.includes(name)) problems.push(`${name} unavailable`);
if (problems.length > 0) {
	console.error(`CI needs every backend: ${problems.join(', ')}`);
	process.exit(1);
}
const env = { ...process.env, TEST_BACKENDS: backends.join(','), TEST_REDIS: up.includes('redis') ? '1' : '0' };

function run(command, commandArgs, extraEnv = {}) {
	const result = spawnSync(command, commandArgs, { stdio: 'inherit', env: { ...env, ...extraEnv } });
	return result.status ?? 1;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-report-'));
let exitCode = 0;

if (only('unit') || only('integration')) {
	const report = path.join(tmp, 'vitest.json');
	// `cluster` (multi-process cluster tests) and `load` (a thousand sockets on one node), run after the
	// rest, count as part of `integration`.
	const projects = ['unit', 'integration'].filter(only).flatMap((p) => (p === 'integration' ? ['integration', 'cluster', 'load'] : [p])).flatMap((p) => ['--project', p]);
	const status = run('npx', ['vitest', 'run', ...projects, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
	if (status !== 0) exitCode = status;
	if (fs.existsSync(report)) {
		const r = JSON.parse(fs.readFileSync(report, 'utf8'));
		counts.passed += r.numPassedTests;
		counts.failed += r.numFailedTests;
		counts.skipped += r.numPendingTests + r.numTodoTests;
		for (const file of r.testResults ?? []) {
			for (const t of file.assertionResults ?? []) {
				if (t.status === 'failed') failures.push(`${path.relative(process.cwd(), file.name)} › ${t.fullName}: ${(t.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300)}`);
			}
			if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) failures.push(`${path.relative(process.cwd(), file.name)}: ${(file.message ?? '').split('\n')[0].slice(0, 300)}`);
		}
		// Vitest exits 1 for an error outside any test (an uncaught exception while a file ran), which
		// fails no test: say so here, where a CI log's tail shows it.
		if (status !== 0 && failures.length === 0) {
			counts.failed++;
			failures.push(`vitest exited ${status} with no failed test: see "Unhandled Errors" in its output`);
		}
	} else if (status !== 0) counts.failed++;
}

if (only('e2e')) {
	const chromium = ensureChromium();
	if (!chromium) {
		if (ci) exitCode = 1;
		console.log('browser tests skipped: no Chromium');
	} else {
		const build = run('npm', ['run', 'build', '--silent']);
		if (build !== 0) {
			exitCode = build;
			counts.failed++;
		} else {
			const report = path.join(tmp, 'playwright.json');
			const failuresBefore = failures.length;
			const status = run('npx', ['playwright', 'test', '--reporter=list,json'], { CHROMIUM_PATH: chromium, PLAYWRIGHT_JSON_OUTPUT_NAME: report });
			if (status !== 0) exitCode = status;
			if (fs.existsSync(report)) {
				const r = JSON.parse(fs.readFileSync(report, 'utf8'));
				const s = r.stats ?? {};
				counts.passed += (s.expected ?? 0) + (s.flaky ?? 0);
				counts.failed += s.unexpected ?? 0;
				counts.skipped += s.skipped ?? 0;
				const walk = (suite) => {
					for (const spec of suite.specs ?? []) {
						for (const t of spec.tests ?? []) {
							if (t.status !== 'unexpected') continue;
							const error = t.results?.at(-1)?.error?.message ?? '';
							failures.push(`${spec.file}:${spec.line} › ${spec.title}: ${error.replace(/\u001b\[[0-9;]*m/g, '').split('\n')[0].slice(0, 300)}`);
						}
					}
					for (const child of suite.suites ?? []) walk(child);
				};
				for (const suite of r.suites ?? []) walk(suite);
				if (status !== 0 && failures.length === failuresBefore) {
					counts.failed++;
					failures.push(`playwright exited ${status} with no failed test: see its output`);
				}
			} else if (status !== 0) counts.failed++;
		}
	}
}

fs.rmSync(tmp, { recursive: true, force: true });
console.log(`\nbackends: ${backends.join(', ')}${up.includes('redis') ? ', redis' : ''}`);
if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`parley: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
process.exit(exitCode !== 0 ? exitCode : counts.failed > 0 ? 1 : 0);
