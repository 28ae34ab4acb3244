// `npm run cluster`: a multi-node Parley on one machine. A gateway (with the files role) on PORT
// (default 3000), chat nodes on the next ports (3001, 3002, 3003) and media nodes (ROLES=media: the
// SFU that carries calls, each with its own WebRTC port range; chat nodes reach them through Redis),
// all against the REDIS_URL and DATABASE_URL given (PostgreSQL or MySQL/MariaDB: SQLite is one file
// for one process). Each process's log lines are prefixed with its name. Ctrl-C (or SIGTERM) drains
// every node and stops.
//
//   REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgres://postgres@127.0.0.1/parley npm run cluster
//   npm run cluster -- --chat 5        # five chat nodes
//   npm run cluster -- --media 2       # two media nodes (default 1); --media 0: calls on the chat nodes
//
// Builds once if there is no build yet, like `npm start`.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
if (fs.existsSync(path.join(root, '.env'))) process.loadEnvFile(path.join(root, '.env'));

const fail = (message) => {
	console.error(`npm run cluster: ${message}`);
	process.exit(78);
};

const args = process.argv.slice(2);
const chatIndex = args.indexOf('--chat');
const chatNodes = chatIndex >= 0 ? Number(args[chatIndex + 1]) : 3;
if (!Number.isInteger(chatNodes) || chatNodes < 1 || chatNodes > 20) fail(`--chat takes a number of chat nodes from 1 to 20, got "${args[chatIndex + 1]}"`);
const mediaIndex = args.indexOf('--media');
const mediaNodes = mediaIndex >= 0 ? Number(args[mediaIndex + 1]) : 1;
if (!Number.isInteger(mediaNodes) || mediaNodes < 0 || mediaNodes > 10) fail(`--media takes a number of media nodes from 0 to 10, got "${args[mediaIndex + 1]}"`);

const redisUrl = process.env.REDIS_URL?.trim();
const databaseUrl = process.env.DATABASE_URL?.trim();
if (!redisUrl) fail('set REDIS_URL (e.g. redis://127.0.0.1:6379): the nodes share tickets, presence, the registry and socket.io events through it');
if (!databaseUrl) fail('set DATABASE_URL to a PostgreSQL or MySQL/MariaDB database (e.g. postgres://postgres@127.0.0.1/parley): several processes share it');
if (databaseUrl.startsWith('sqlite:')) fail(`DATABASE_URL is SQLite ("${databaseUrl}"): a cluster needs PostgreSQL or MySQL/MariaDB, which several processes (and machines) can share`);

const entry = path.join(root, 'build', 'server.js');
if (!fs.existsSync(entry) || !fs.existsSync(path.join(root, 'build', 'handler.js'))) {
	console.log('No build found: building Parley once (about a minute)…');
	const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
}

const basePort = Number(process.env.PORT ?? 3000);
const host = process.env.CLUSTER_HOST ?? 'localhost';
const gatewayUrl = (process.env.PUBLIC_URL ?? `http://${host}:${basePort}`).replace(/\/+$/, '');
const processes = [
	{
		name: 'gateway',
		// The pages' Content-Security-Policy must let the app open sockets on the chat nodes' origins.
		env: {
			ROLES: 'gateway,files',
			PORT: String(basePort),
			PUBLIC_URL: gatewayUrl,
			NODE_ID: 'gateway',
			CHAT_ORIGINS: Array.from({ length: chatNodes }, (_, i) => `http://${host}:${basePort + 1 + i}`).join(',')
		}
	},
	...Array.from({ length: chatNodes }, (_, i) => {
		const port = basePort + 1 + i;
		return {
			name: `chat-${i + 1}`,
			// The web app comes from the gateway: its origin must be allowed to open these nodes' sockets.
			env: {
				// Without media nodes of their own, each chat node carries calls too (its own port range).
				...(mediaNodes === 0 ? { ROLES: 'chat,media', ...mediaPorts(i) } : { ROLES: 'chat' }),
				PORT: String(port),
				PUBLIC_URL: `http://${host}:${port}`,
				NODE_ID: `chat-${i + 1}`,
				CORS_ORIGINS: new URL(gatewayUrl).origin
			}
		};
	}),
	...Array.from({ length: mediaNodes }, (_, i) => {
		// A port for /healthz only: browsers reach a media node over WebRTC, never over HTTP.
		const port = basePort + 1 + chatNodes + i;
		return {
			name: `media-${i + 1}`,
			env: { ROLES: 'media', PORT: String(port), PUBLIC_URL: `http://${host}:${port}`, NODE_ID: `media-${i + 1}`, ...mediaPorts(i) }
		};
	})
];

/**
 * One machine: the nodes' WebRTC ports must not overlap, and one worker each is plenty. RTMP too: the
 * first media node listens on 1935 (OBS's default), the next on 1936, and so on.
 */
function mediaPorts(i) {
	return { MEDIA_MIN_PORT: String(40000 + i * 1000), MEDIA_MAX_PORT: String(40000 + i * 1000 + 999), MEDIA_WORKERS: process.env.MEDIA_WORKERS ?? '1', RTMP_PORT: String(1935 + i) };
}

const width = Math.max(...processes.map((p) => p.name.length)) + 2;
const children = new Map();
let stopping = false;

function prefixLines(name, stream, out) {
	let rest = '';
	stream.setEncoding('utf8');
	stream.on('data', (chunk) => {
		const lines = (rest + chunk).split('\n');
		rest = lines.pop();
		for (const line of lines) out.write(`${`[${name}]`.padEnd(width)} ${line}\n`);
	});
	stream.on('end', () => rest && out.write(`${`[${name}]`.padEnd(width)} ${rest}\n`));
}

function start({ name, env }) {
	const child = spawn(process.execPath, [entry], {
		cwd: root,
		env: { ...process.env, ...env, REDIS_URL: redisUrl, DATABASE_URL: databaseUrl },
		stdio: ['ignore', 'pipe', 'pipe'],
		// Its own process group: Ctrl-C reaches only this script, which then drains every node once.
		detached: true
	});
	children.set(name, child);
	prefixLines(name, child.stdout, process.stdout);
	prefixLines(name, child.stderr, process.stderr);
	child.on('exit', (code, signal) => {
		children.delete(name);
		console.log(`${`[${name}]`.padEnd(width)} exited (${signal ?? `code ${code}`})`);
		if (!stopping && name === 'gateway') stop('the gateway exited');
		if (stopping && children.size === 0) process.exit(0);
	});
	return child;
}

async function gatewayReady(ms) {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline && children.has('gateway')) {
		try {
			if ((await fetch(`http://127.0.0.1:${basePort}/healthz`)).ok) return true;
		} catch {
			// not listening yet
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	return false;
}

function stop(why) {
	if (stopping) {
		console.log('stopping again: killing every process');
		for (const child of children.values()) child.kill('SIGKILL');
		return;
	}
	stopping = true;
	console.log(`${why}: draining and stopping ${children.size} process(es) (Ctrl-C again to kill them)`);
	if (children.size === 0) process.exit(0);
	for (const child of children.values()) child.kill('SIGTERM');
}
process.on('SIGINT', () => stop('Ctrl-C'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('exit', () => {
	for (const child of children.values()) child.kill('SIGKILL');
});

// The gateway first: it runs the migrations; then the chat nodes.
start(processes[0]);
if (!(await gatewayReady(60_000))) {
	if (!stopping) stop('the gateway did not answer /healthz within 60 s');
} else {
	for (const p of processes.slice(1)) start(p);
	const chat = processes.filter((p) => p.name.startsWith('chat-'));
	const media = processes.filter((p) => p.name.startsWith('media-'));
	console.log(
		`Parley cluster: open ${gatewayUrl} (gateway), chat nodes ${chat.map((p) => p.env.PUBLIC_URL).join(', ')}` +
			(media.length > 0 ? `, media nodes ${media.map((p) => `${p.name} (UDP ${p.env.MEDIA_MIN_PORT}-${p.env.MEDIA_MAX_PORT})`).join(', ')}` : ', calls on the chat nodes') +
			`; ${gatewayUrl}/healthz lists the live ones`
	);
}
