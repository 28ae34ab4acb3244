// `npm start`: builds once if there is no build yet, then runs the server. An existing build is used
// as it is (run `npm run build` after changing the code). With CHAT_PROCESSES=N the server starts its
// chat processes by running this same script again (process.argv[1]), which then finds the build.
//
// Stopping: package.json runs this script with `exec`, so npm's shell becomes this process and the
// SIGTERM or SIGINT npm forwards reaches the server, which drains and exits. Should the process that
// started us go away without a word (npm killed with SIGKILL, a shell that does not exec), the watch
// below notices that this process was orphaned and stops the server the same way, so a process
// manager that signals only npm never leaves a server running behind it.
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
if (process.env.npm_lifecycle_event === 'start') watchStarter();
await import(pathToFileURL(entry).href);

/** Under npm: when the parent process is gone (this one re-parented), stop as on SIGTERM. */
function watchStarter() {
	const starter = process.ppid;
	const timer = setInterval(() => {
		if (process.ppid === starter) return;
		clearInterval(timer);
		console.log(`parent process ${starter} is gone: stopping`);
		process.kill(process.pid, 'SIGTERM');
	}, 1000);
	timer.unref();
}
