import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BUILT = [path.join(ROOT, 'build', 'server.js'), path.join(ROOT, 'build', 'handler.js')];
const SOURCES = ['src', 'server', 'static'].map((dir) => path.join(ROOT, dir));

/**
 * The browser tests run against the built app, as users get it. Builds it when it is missing or older
 * than the sources (PARLEY_E2E_NO_BUILD=1 skips that and uses whatever build there is).
 */
export default function globalSetup(): void {
	const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
	if (!fs.existsSync(chromium)) throw new Error(`No Chromium at ${chromium}: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH.`);
	const missing = BUILT.filter((file) => !fs.existsSync(file));
	const stale = missing.length === 0 && newest(SOURCES) > Math.min(...BUILT.map((file) => fs.statSync(file).mtimeMs));
	if (process.env.PARLEY_E2E_NO_BUILD === '1') {
		if (missing.length > 0) throw new Error(`No build to test: ${missing.join(', ')} missing. Run \`npm run build\` first.`);
		return;
	}
	if (missing.length === 0 && !stale) return;
	console.log(missing.length > 0 ? 'e2e: no build found, running `npm run build`…' : 'e2e: sources changed since the last build, running `npm run build`…');
	const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
	if (result.status !== 0) throw new Error(`\`npm run build\` failed (exit ${result.status}); the browser tests need build/server.js and build/handler.js.`);
	const stillMissing = BUILT.filter((file) => !fs.existsSync(file));
	if (stillMissing.length > 0) throw new Error(`\`npm run build\` did not produce ${stillMissing.join(', ')}.`);
}

function newest(paths: string[]): number {
	let latest = 0;
	for (const entry of paths) {
		if (!fs.existsSync(entry)) continue;
		const stat = fs.statSync(entry);
		if (stat.isDirectory()) latest = Math.max(latest, newest(fs.readdirSync(entry).map((name) => path.join(entry, name))));
		else latest = Math.max(latest, stat.mtimeMs);
	}
	return latest;
}
