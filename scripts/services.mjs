// Finds the backing services the tests use and, where this machine can, starts the ones that are down.
// Used by scripts/test.mjs and .ci/run. Prints one clear line for anything it cannot get.
import { execSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export const SERVICES = {
	postgres: {
		url: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
		start: () => `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -1) main start`,
		binary: '/usr/bin/pg_ctlcluster',
		hint: 'install PostgreSQL (apt-get install postgresql) or set TEST_POSTGRES_URL'
	},
	mysql: {
		url: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
		start: () => 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
		binary: '/usr/sbin/mariadbd',
		hint: 'install MariaDB (apt-get install mariadb-server) or set TEST_MYSQL_URL'
	},
	redis: {
		url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
		start: () =>
			'mkdir -p /var/lib/redis /var/log/redis && redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
		binary: '/usr/bin/redis-server',
		hint: 'install Redis (apt-get install redis-server) or set TEST_REDIS_URL'
	}
};

export function reachable(url, timeoutMs = 1500) {
	const u = new URL(url);
	const port = Number(u.port) || { 'postgres:': 5432, 'mysql:': 3306, 'redis:': 6379 }[u.protocol];
	return new Promise((resolve) => {
		const socket = net.connect({ host: u.hostname, port });
		const done = (ok) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(timeoutMs, () => done(false));
		socket.once('connect', () => done(true));
		socket.once('error', () => done(false));
	});
}

async function waitFor(url, ms) {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (await reachable(url)) return true;
		await new Promise((r) => setTimeout(r, 500));
	}
	return false;
}

/** Returns the names of the services that answer, after trying to start the others. */
export async function ensureServices(names = Object.keys(SERVICES)) {
	const up = [];
	for (const name of names) {
		const s = SERVICES[name];
		if (await reachable(s.url)) {
			up.push(name);
			continue;
		}
		const local = ['127.0.0.1', 'localhost', '::1'].includes(new URL(s.url).hostname);
		if (local && fs.existsSync(s.binary) && process.getuid?.() === 0) {
			console.log(`${name} is down: starting it`);
			spawnSync('bash', ['-c', s.start()], { stdio: 'inherit' });
			if (await waitFor(s.url, 30_000)) {
				up.push(name);
				continue;
			}
		}
		console.log(`${name} is not reachable at ${s.url}: ${s.hint}`);
	}
	return up;
}

export function chromiumPath() {
	for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean)) {
		if (fs.existsSync(p)) return p;
	}
	return null;
}

/** Installs Debian's Chromium when it is missing and we are root with apt; returns its path or null. */
export function ensureChromium() {
	let found = chromiumPath();
	if (found) return found;
	if (process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get')) {
		console.log('Chromium is missing: installing Debian\'s package (apt-get install chromium)');
		try {
			execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
		} catch {
			/* reported below */
		}
		found = chromiumPath();
	}
	if (!found) console.log('Chromium is not installed: apt-get install chromium (or set CHROMIUM_PATH) to run the browser tests');
	return found;
}
