// ejabberd for the peer scenario (issue 7, scenario 5): Debian's package, installed when missing (as
// .ci/run installs Chromium), run by `ejabberdctl` without systemd under a config this module writes
// into a fresh directory: bound to 127.0.0.1 on free ports, its own Erlang node name (so it never
// meets a system ejabberd or another Erlang node such as RabbitMQ's), traffic shapers off, and every
// chat message archived (mod_mam, default: always) in a database through ejabberd's SQL backend:
// SQLite (Debian's erlang-p1-sqlite3), falling back to Mnesia on disc when that driver cannot be had,
// or PostgreSQL (erlang-p1-pgsql, a fresh database loaded with the schema Debian ships).
//
// ejabberdctl runs the node as the `ejabberd` user (it `su`s when called as root), so the directory is
// handed to that user. Every ejabberdctl call names the same config, spool, logs and node.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';

const run = promisify(execFile);

export const DOMAIN = 'bench.local';

export type Storage = 'sqlite' | 'mnesia' | 'postgres';

/** Whether ejabberd can be run here, and if not, why (for the skip message). */
export type Availability = { ok: true; version: string; storage: Storage; installed: string[] } | { ok: false; why: string };

function has(command: string): boolean {
	try {
		execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

function packageVersion(name: string): string | undefined {
	try {
		const out = execFileSync('dpkg-query', ['-W', '-f', '${Status} ${Version}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
		return out.startsWith('install ok installed') ? out.split(' ').at(-1) : undefined;
	} catch {
		return undefined;
	}
}

/** ejabberd's own ebin holds the SQL layer; each database driver is a separate application (p1_sqlite3, p1_pgsql). */
function driverPresent(app: 'p1_sqlite3' | 'p1_pgsql'): boolean {
	try {
		return fs.readdirSync('/usr/lib/erlang/lib').some((d) => d.startsWith(`${app}-`));
	} catch {
		return false;
	}
}
const sqliteDriverPresent = () => driverPresent('p1_sqlite3');

/** The PostgreSQL schema of this ejabberd (the old, single-host one), as Debian ships it. */
export const PG_SCHEMA = '/usr/share/ejabberd/sql/pg.sql';

/** Installs the PostgreSQL driver if missing (as root, apt-get); true when it is there. */
export async function ensurePgsqlDriver(timeoutMs = 180_000): Promise<boolean> {
	if (driverPresent('p1_pgsql')) return fs.existsSync(PG_SCHEMA);
	if (process.getuid?.() !== 0 || !has('apt-get')) return false;
	try {
		await run('apt-get', ['install', '-y', '--no-install-recommends', 'erlang-p1-pgsql'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
	} catch {
		return false;
	}
	return driverPresent('p1_pgsql') && fs.existsSync(PG_SCHEMA);
}

/**
 * Makes sure ejabberd (and if possible its SQLite driver) is installed: `apt-get install -y` as root
 * when missing, bounded by `timeoutMs`. Says why not when it cannot be.
 */
export async function ensureEjabberd(timeoutMs = 300_000): Promise<Availability> {
	const installed: string[] = [];
	const missing = [!has('ejabberdctl') && 'ejabberd', !sqliteDriverPresent() && 'erlang-p1-sqlite3'].filter((p): p is string => !!p);
	if (missing.length > 0) {
		const why = process.getuid?.() !== 0 ? 'not root' : !has('apt-get') ? 'no apt-get (not Debian)' : undefined;
		if (why === undefined) {
			console.log(`installing ${missing.join(', ')} from Debian (apt-get install -y)…`);
			try {
				const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
				await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }).catch(async () => {
					// A stale package list is the usual reason an install finds nothing.
					await run('apt-get', ['update'], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
					await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
				});
				installed.push(...missing);
			} catch (error) {
				if (!has('ejabberdctl')) return { ok: false, why: `apt-get install ejabberd failed: ${(error as Error).message.split('\n')[0]}` };
			}
		} else if (!has('ejabberdctl')) {
			return { ok: false, why: `ejabberd is not installed and cannot be installed here (${why})` };
		}
	}
	if (!has('ejabberdctl')) return { ok: false, why: 'ejabberdctl is not on the PATH (Debian puts it in /usr/sbin)' };
	const version = packageVersion('ejabberd') ?? 'unknown';
	return { ok: true, version, storage: sqliteDriverPresent() ? 'sqlite' : 'mnesia', installed };
}

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

function config(o: { dir: string; c2sPort: number; httpPort: number; storage: Storage; postgres?: URL }): string {
	const pg = o.postgres;
	const sql =
		o.storage === 'sqlite'
			? `default_db: sql
sql_type: sqlite
sql_database: "${path.join(o.dir, 'spool', 'ejabberd.db')}"
auth_method: sql
`
			: o.storage === 'postgres' && pg
				? `default_db: sql
sql_type: pgsql
sql_server: "${pg.hostname}"
sql_port: ${pg.port || 5432}
sql_database: "${pg.pathname.slice(1)}"
sql_username: "${decodeURIComponent(pg.username)}"
sql_password: "${decodeURIComponent(pg.password)}"
# ejabberd's default pool: 10 connections.
sql_pool_size: 10
auth_method: sql
`
				: `default_db: mnesia
auth_method: internal
`;
	return `# Written by bench/lib/ejabberd.ts for one bench run; removed after it.
hosts:
  - ${DOMAIN}
loglevel: warning
log_rotate_count: 0
${sql}# Passwords stored as given: SASL PLAIN and SCRAM both work, and nothing hashes 4096 rounds per login.
auth_password_format: plain
# Sessions (who is online on which resource) live in memory, as in a default install; only the
# users and the message archive are in the database.
sm_db_type: mnesia
# A c2s process holds at most this many queued stanzas before ejabberd drops the connection; the
# bench pushes bursts at one receiver, so room for them.
max_fsm_queue: 100000
listen:
  -
    port: ${o.c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    # No traffic shaping: the default install limits a connection to about 1,000 bytes/s.
    shaper: none
    access: c2s
    starttls: false
  -
    port: ${o.httpPort}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
shaper_rules:
  max_user_sessions: 100
  c2s_shaper: none
  s2s_shaper: none
access_rules:
  c2s:
    allow: all
# The API (used to register users in bulk) on loopback only, for this run's generators.
api_permissions:
  "bench":
    from:
      - ejabberd_ctl
      - mod_http_api
    who: all
    what: "*"
modules:
  mod_carboncopy: {}
  mod_mam:
    default: always
    db_type: ${o.storage === 'mnesia' ? 'mnesia' : 'sql'}
  mod_roster: {}
  mod_disco: {}
  mod_admin_extra: {}
`;
}

export interface Ejabberd {
	readonly dir: string;
	readonly node: string;
	readonly c2sPort: number;
	readonly httpPort: number;
	readonly storage: Storage;
	/** The beam.smp process of the node. */
	readonly pid: number;
	/** `xmpp://127.0.0.1:PORT`. */
	readonly service: string;
	/** Runs an ejabberdctl command against this node. */
	ctl(args: string[], timeoutMs?: number): Promise<string>;
	/** Registers users (all with one password): the first through `ejabberdctl register`, the rest through the HTTP API, several at once. */
	register(users: string[], password: string): Promise<void>;
	/**
	 * Registers many users at once. With SQLite, one transaction into ejabberd's own `users` table (the
	 * row `register` writes with plain passwords): registering through ejabberd commits each user on
	 * its own, about 50 a second here, minutes for the capacity scenario's thousands. With Mnesia,
	 * `register` as above.
	 */
	insertUsers(users: string[], password: string): Promise<void>;
	/** Rows in the message archive (undefined for Mnesia). */
	archived(): Promise<number | undefined>;
	/** `ejabberdctl stop`, then a kill of the beam if it lingers, then the directory removed. Idempotent. */
	stop(): Promise<void>;
	/** The same, synchronously, for exit handlers. */
	stopSync(): void;
}

function beamOf(node: string): number | undefined {
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
			if (cmdline.includes('beam') && cmdline.split('\0').includes(node)) return Number(entry);
		} catch {
			// gone meanwhile
		}
	}
	return undefined;
}

/** The ejabberd system user, when this process may act as it (root); undefined otherwise. */
function ejabberdUser(): { uid: number; gid: number; home: string } | undefined {
	if (process.getuid?.() !== 0) return undefined;
	const line = fs
		.readFileSync('/etc/passwd', 'utf8')
		.split('\n')
		.find((l) => l.startsWith('ejabberd:'));
	if (!line) return undefined;
	const [, , uid, gid, , home] = line.split(':');
	return { uid: Number(uid), gid: Number(gid), home };
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

function epmdRunning(): boolean {
	try {
		execFileSync('epmd', ['-names'], { stdio: 'ignore', timeout: 5000 });
		return true;
	} catch {
		return false;
	}
}

/** Runs SQL on the PostgreSQL database (pg, the project's own driver). */
async function pgQuery<T>(url: string, sql: string, params?: unknown[]): Promise<T[]> {
	const { default: pg } = await import('pg');
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		return (await client.query(sql, params)).rows as T[];
	} finally {
		await client.end();
	}
}

let starts = 0;

/**
 * Starts a fresh ejabberd node; resolves once it answers `ejabberdctl started`. For `postgres`,
 * `postgresUrl` names an empty database: the schema is loaded into it first.
 */
export async function startEjabberd(storage: Storage, postgresUrl?: string): Promise<Ejabberd> {
	if (storage === 'postgres') {
		if (!postgresUrl) throw new Error('ejabberd on PostgreSQL needs a database URL');
		await pgQuery(postgresUrl, fs.readFileSync(PG_SCHEMA, 'utf8'));
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-ejabberd-'));
	// Unique per start: a node stopped a moment ago may still be known to epmd under its name.
	const node = `parleybench${process.pid}n${++starts}@localhost`;
	const [c2sPort, httpPort] = [await freePort(), await freePort()];
	fs.mkdirSync(path.join(dir, 'spool'));
	fs.mkdirSync(path.join(dir, 'logs'));
	fs.writeFileSync(path.join(dir, 'ejabberd.yml'), config({ dir, c2sPort, httpPort, storage, postgres: postgresUrl ? new URL(postgresUrl) : undefined }));
	// ejabberdctl reads node name and VM limits from here: more ports and processes than the defaults
	// (32,000 ports), so the open-file limit is what bounds the connections, not the VM.
	fs.writeFileSync(path.join(dir, 'ejabberdctl.cfg'), `ERLANG_NODE=${node}\nERL_MAX_PORTS=262144\nERL_PROCESSES=2000000\n`);
	if (fs.existsSync('/etc/ejabberd/inetrc')) fs.copyFileSync('/etc/ejabberd/inetrc', path.join(dir, 'inetrc'));
	execFileSync('chown', ['-R', 'ejabberd:ejabberd', dir]);
	const hadEpmd = epmdRunning();
	const base = ['--config-dir', dir, '--config', path.join(dir, 'ejabberd.yml'), '--ctl-config', path.join(dir, 'ejabberdctl.cfg'), '--spool', path.join(dir, 'spool'), '--logs', path.join(dir, 'logs'), '--node', node];
	// Called as root, ejabberdctl `su`s to the ejabberd user, and su's PAM session resets the open-file
	// limit to 1,024, which would cap the node at about a thousand connections. Run it as that user
	// directly instead: the node then inherits this process's limit.
	const user = ejabberdUser();
	const options = { encoding: 'utf8' as const, cwd: path.join(dir, 'spool'), ...(user ? { uid: user.uid, gid: user.gid, env: { ...process.env, HOME: user.home } } : {}) };
	const ctl = async (args: string[], timeoutMs = 60_000) => (await run('ejabberdctl', [...base, ...args], { ...options, timeout: timeoutMs })).stdout;
	let pid: number | undefined;
	let stopped = false;
	const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
	const killLeftovers = () => {
		const beam = pid ?? beamOf(node);
		if (beam !== undefined && alive(beam)) {
			process.kill(beam, 'SIGKILL');
		}
		// epmd is shared by every Erlang node on the machine: stop it only if this run started it and
		// nothing else is registered with it.
		if (!hadEpmd) {
			try {
				const names = execFileSync('epmd', ['-names'], { encoding: 'utf8', timeout: 5000 });
				if (!/^name /m.test(names)) execFileSync('epmd', ['-kill'], { stdio: 'ignore', timeout: 5000 });
			} catch {
				// not running
			}
		}
	};
	const self: Ejabberd = {
		dir,
		node,
		c2sPort,
		httpPort,
		storage,
		get pid() {
			return pid ?? -1;
		},
		service: `xmpp://127.0.0.1:${c2sPort}`,
		ctl,
		async register(users, password) {
			if (users.length === 0) return;
			await ctl(['register', users[0], DOMAIN, password]);
			let next = 1;
			const worker = async () => {
				while (next < users.length) {
					const user = users[next++];
					const res = await fetch(`http://127.0.0.1:${httpPort}/api/register`, { method: 'POST', body: JSON.stringify({ user, host: DOMAIN, password }), signal: AbortSignal.timeout(30_000) });
					if (!res.ok) throw new Error(`register ${user}: ${res.status} ${await res.text()}`);
				}
			};
			await Promise.all(Array.from({ length: 8 }, worker));
		},
		async insertUsers(users, password) {
			if (storage === 'mnesia' || users.length === 0) return self.register(users, password);
			// ejabberd creates its database on the first query: the first user goes through ejabberdctl.
			await ctl(['register', users[0], DOMAIN, password]);
			if (storage === 'postgres') {
				const rest = users.slice(1);
				for (let i = 0; i < rest.length; i += 5000) {
					const chunk = rest.slice(i, i + 5000);
					await pgQuery(postgresUrl!, 'INSERT INTO users (username, password) SELECT u, $2 FROM unnest($1::text[]) AS u ON CONFLICT DO NOTHING', [chunk, password]);
				}
				return;
			}
			const db = new Database(path.join(dir, 'spool', 'ejabberd.db'), { fileMustExist: true, timeout: 30_000 });
			try {
				const insert = db.prepare('INSERT OR IGNORE INTO users (username, password) VALUES (?, ?)');
				db.transaction(() => {
					for (const user of users.slice(1)) insert.run(user, password);
				})();
			} finally {
				db.close();
			}
		},
		async archived() {
			if (storage === 'mnesia') return undefined;
			if (storage === 'postgres') return Number((await pgQuery<{ n: string }>(postgresUrl!, 'SELECT count(*) AS n FROM archive'))[0].n);
			try {
				const db = new Database(path.join(dir, 'spool', 'ejabberd.db'), { readonly: true, fileMustExist: true, timeout: 30_000 });
				try {
					return (db.prepare('SELECT count(*) AS n FROM archive').get() as { n: number }).n;
				} finally {
					db.close();
				}
			} catch {
				return undefined;
			}
		},
		async stop() {
			if (stopped) return;
			stopped = true;
			await ctl(['stop'], 30_000).catch(() => {});
			const deadline = Date.now() + 20_000;
			while (pid !== undefined && alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
			killLeftovers();
			removeDir();
		},
		stopSync() {
			if (stopped) return;
			stopped = true;
			try {
				execFileSync('ejabberdctl', [...base, 'stop'], { ...options, stdio: 'ignore', timeout: 30_000 });
			} catch {
				// killed below
			}
			killLeftovers();
			removeDir();
		}
	};
	try {
		await ctl(['start'], 60_000);
		// `started` polls the node until it answers (up to a minute on a busy machine).
		await ctl(['started'], 120_000);
		pid = beamOf(node);
		if (pid === undefined) throw new Error(`ejabberd node ${node} started but no beam.smp process names it`);
	} catch (error) {
		const log = ['ejabberd.log', 'error.log', 'crash.log'].map((f) => path.join(dir, 'logs', f)).filter((f) => fs.existsSync(f));
		const tail = log.map((f) => fs.readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')).join('\n');
		self.stopSync();
		throw new Error(`ejabberd did not start: ${(error as Error).message.split('\n')[0]}\n${tail}`);
	}
	return self;
}
