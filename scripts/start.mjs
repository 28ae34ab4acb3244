// `npm start`: builds once if there is no build yet, then runs the server. An existing build is used
// as it is (run `npm run build` after changing the code). With CHAT_PROCESSES=N the server starts its
// chat processes by running this same script again (process.argv[1]), which then finds the build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const entry = path.join(root, 'build', 'server.js');
if (!fs.existsSync(entry) || !fs.existsSync(path.join(root, 'build', 'handler.js'))) {
	console.log('No build found: building Parley once (about a minute)…');
	const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
}
await import(pathToFileURL(entry).href);
