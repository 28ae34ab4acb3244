// `npm run bench [-- NAME ...] [--quick]`: runs benchmark scenarios, each `bench/NAME.ts` in its own
// process (so one cannot warm or slow another), and says where each wrote its results. With no names
// it runs them all. `--quick` asks each for a smaller, shorter run (a smoke test, not a figure).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const available = fs
	.readdirSync(here)
	.filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
	.map((f) => f.slice(0, -3))
	.sort();
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));
// Issue 14 names `npm run bench -- live` for both of a live stream's figures: its latency (live.ts)
// and its viewers per worker (live-viewers.ts). Run without names, every file runs once.
const SUITES = { live: ['live', 'live-viewers'] };
const unknown = names.filter((n) => !available.includes(n));
if (unknown.length > 0) {
	console.error(`unknown scenario ${unknown.join(', ')}; there are: ${available.join(', ')}`);
	process.exit(2);
}

let failed = 0;
for (const name of names.length > 0 ? [...new Set(names.flatMap((n) => SUITES[n] ?? [n]))] : available) {
	console.log(`\n== ${name}${flags.length ? ` ${flags.join(' ')}` : ''}`);
	const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${name}.ts`), ...flags], { stdio: 'inherit', env: { ...process.env, TEST_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' } });
	if (result.status !== 0) {
		failed++;
		console.error(`${name} failed (exit ${result.status ?? result.signal})`);
	} else {
		console.log(`results: bench/results/${name}.json`);
	}
}
process.exit(failed > 0 ? 1 : 0);
