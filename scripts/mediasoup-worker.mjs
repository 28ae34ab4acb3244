// `npm run setup:media`: gets a mediasoup-worker binary for the installed mediasoup and prints its path.
//
// The mediasoup package's own postinstall downloads a prebuilt worker and, failing that, builds one with
// pip-installed meson and ninja. Neither works on a machine that reaches only the npm registry and
// Debian's packages, and a failing postinstall fails `npm ci`. So package.json denies mediasoup's
// install scripts (`allowScripts: { mediasoup: false }`, honoured by npm 11; older npm still runs them,
// and then their downloaded worker is used below), and this script finds a worker, in order:
//   1. MEDIASOUP_WORKER_BIN, when it names a file that runs;
//   2. the worker the package's own postinstall put in node_modules/mediasoup/worker/out/Release;
//   3. the cache, ~/.cache/parley/mediasoup-worker-<version>/mediasoup-worker;
//   4. the package's prebuilt release download (skipped with PARLEY_MEDIASOUP_NO_DOWNLOAD=1), into the cache;
//   5. a build from node_modules/mediasoup/worker against Debian 12's own libraries, into the cache.
// The server finds the cached worker by itself (server/media/worker-bin.ts); nothing is written into
// the repository or into node_modules.
//
// The build (step 5), as measured on Debian 12: mediasoup 3.12.16 is the one version whose worker
// builds against Debian's libuv 1.44, libsrtp2 2.5, abseil 20220623, nlohmann-json 3.11, OpenSSL 3.0
// and usrsctp 0.9.5. Each worker/subprojects/*.wrap (which would download sources) is replaced by a
// local subproject that wraps the system library under the variable names worker/meson.build reads,
// Debian's meson 1.0.1 is let past `meson_version: '>= 1.1.0'`, and only the `mediasoup-worker`
// target is built. About 6 minutes on 2 cores.
//
// Flags: --check (find only, never download or build; exit 1 if none), --force (rebuild even if cached),
// --quiet (print only the path).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const log = (line) => {
	if (!quiet) console.error(`[mediasoup-worker] ${line}`);
};

const APT_PACKAGES = ['meson', 'ninja-build', 'pkg-config', 'g++', 'make', 'libuv1-dev', 'libsrtp2-dev', 'libabsl-dev', 'nlohmann-json3-dev', 'libssl-dev', 'libusrsctp-dev'];
// The mediasoup versions whose worker this script knows how to build against Debian 12 (see above).
const BUILDABLE = new Set(['3.12.16']);

/** A worker "runs" when, started without MEDIASOUP_VERSION, it exits with its own code 41. */
function runs(bin) {
	if (!bin || !fs.existsSync(bin)) return false;
	const env = { ...process.env };
	delete env.MEDIASOUP_VERSION;
	const r = spawnSync(bin, [], { env, timeout: 10_000, stdio: 'ignore' });
	return r.status === 41;
}

function sh(command, commandArgs, options = {}) {
	log(`$ ${command} ${commandArgs.join(' ')}`);
	const r = spawnSync(command, commandArgs, { stdio: ['ignore', quiet ? 'ignore' : 2, 'inherit'], ...options });
	if (r.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} exited with ${r.status ?? r.signal}`);
}

function installedPackage() {
	const dir = path.join(root, 'node_modules', 'mediasoup');
	const file = path.join(dir, 'package.json');
	if (!fs.existsSync(file)) throw new Error('mediasoup is not installed: run `npm ci` first');
	return { dir, pkg: JSON.parse(fs.readFileSync(file, 'utf8')) };
}

// The server looks in the same place (server/media/worker-bin.ts): keep the two in step.
function cacheDir(version) {
	return path.join(os.homedir(), '.cache', 'parley', `mediasoup-worker-${version}`);
}

/** Puts a runnable binary at `<cache>/mediasoup-worker` atomically (copy to a temp name, rename). */
function intoCache(version, bin, info) {
	const dir = cacheDir(version);
	fs.mkdirSync(dir, { recursive: true });
	const target = path.join(dir, 'mediasoup-worker');
	const tmp = `${target}.${process.pid}.tmp`;
	fs.copyFileSync(bin, tmp);
	fs.chmodSync(tmp, 0o755);
	fs.renameSync(tmp, target);
	fs.writeFileSync(path.join(dir, 'BUILD-INFO'), `${info}\n`);
	return target;
}

async function download(pkg) {
	if (process.env.PARLEY_MEDIASOUP_NO_DOWNLOAD === '1') return null;
	const base = process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL || `${String(pkg.repository?.url ?? '').replace(/\.git$/, '')}/releases/download`;
	const url = `${base}/${pkg.version}/mediasoup-worker-${pkg.version}-${os.platform()}-${os.arch()}.tgz`;
	log(`trying the prebuilt worker: ${url}`);
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-mediasoup-'));
	try {
		const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
		if (!res.ok) {
			log(`no prebuilt worker: HTTP ${res.status}`);
			return null;
		}
		const tgz = path.join(tmp, 'worker.tgz');
		fs.writeFileSync(tgz, Buffer.from(await res.arrayBuffer()));
		sh('tar', ['xzf', tgz, '-C', tmp]);
		const bin = path.join(tmp, 'mediasoup-worker');
		fs.chmodSync(bin, 0o755);
		if (!runs(bin)) {
			log('the prebuilt worker does not run on this machine');
			return null;
		}
		return intoCache(pkg.version, bin, `prebuilt ${url}`);
	} catch (error) {
		log(`no prebuilt worker: ${error instanceof Error ? error.message : error}`);
		return null;
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
}

function missingAptPackages() {
	const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...APT_PACKAGES], { encoding: 'utf8' });
	if (r.error) return null; // not a Debian machine
	const installed = new Set(
		r.stdout
			.split('\n')
			.filter((l) => l.endsWith(' installed') && l.includes('install ok'))
			.map((l) => l.split(' ')[0])
	);
	return APT_PACKAGES.filter((p) => !installed.has(p));
}

function ensureAptPackages() {
	const missing = missingAptPackages();
	if (missing === null) throw new Error(`building the worker needs Debian 12 packages: ${APT_PACKAGES.join(' ')}`);
	if (missing.length === 0) return;
	if (process.getuid?.() !== 0) throw new Error(`building the worker needs: sudo apt-get install ${missing.join(' ')}`);
	log(`installing ${missing.join(' ')}`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const install = () => spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: quiet ? 'ignore' : 'inherit', env });
	if (install().status !== 0) {
		sh('apt-get', ['update', '-qq'], { env });
		if (install().status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed`);
	}
}

// One meson.build per subproject the worker asks for, each exposing the system library (found through
// pkg-config) under the worker's variable names. `link_whole` in the worker's meson.build only feeds the
// optional shared library target, but meson checks at configure time that those variables are build
// targets, so each shim also defines an empty static library under that name.
const SHIMS = {
	openssl: `
openssl_dep = dependency('openssl', version: '>= 3.0')
libssl_dep = dependency('libssl')
libcrypto_dep = dependency('libcrypto')
libssl_lib = static_library('ssl_shim', 'empty.c')
libcrypto_lib = static_library('crypto_shim', 'empty.c')`,
	nlohmann_json: `
nlohmann_json_dep = dependency('nlohmann_json', version: '>= 3.10')`,
	libuv: `
libuv_dep = dependency('libuv', version: '>= 1.44')
libuv = static_library('uv_shim', 'empty.c')`,
	libsrtp2: `
_srtp = dependency('libsrtp2', version: '>= 2.4')
# The worker includes <srtp.h>; Debian installs it as <srtp2/srtp.h>.
libsrtp2_dep = declare_dependency(dependencies: _srtp, compile_args: ['-I' + _srtp.get_variable(pkgconfig: 'includedir') / 'srtp2'])
libsrtp2 = static_library('srtp2_shim', 'empty.c')`,
	usrsctp: `
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('usrsctp_shim', 'empty.c')`,
	'abseil-cpp': `
absl_container_dep = declare_dependency(dependencies: [
  dependency('absl_flat_hash_map'), dependency('absl_flat_hash_set'), dependency('absl_node_hash_map'),
  dependency('absl_node_hash_set'), dependency('absl_btree'), dependency('absl_inlined_vector'),
])
absl_strings_dep = dependency('absl_strings')
absl_types_dep = declare_dependency(dependencies: [dependency('absl_optional'), dependency('absl_variant'), dependency('absl_span')])
absl_container_lib = static_library('absl_container_shim', 'empty.c')`,
	// Only the worker's unit tests use Catch2 and they are not built here.
	catch2: `
catch2_dep = declare_dependency()`
};
// The options worker/meson.build passes to its subprojects, declared so meson accepts them (unused).
const SHIM_OPTIONS = {
	libuv: ['build_tests', 'build_benchmarks'].map((o) => `option('${o}', type: 'boolean', value: false)`),
	libsrtp2: ['crypto-library', 'crypto-library-kdf', 'tests'].map((o) => `option('${o}', type: 'string', value: '')`),
	usrsctp: ["option('sctp_build_programs', type: 'boolean', value: false)"]
};

function prepareSources(src, dir) {
	fs.rmSync(dir, { recursive: true, force: true });
	fs.cpSync(src, dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}out${path.sep}`) && !p.endsWith(`${path.sep}out`) });
	const meson = path.join(dir, 'meson.build');
	const text = fs.readFileSync(meson, 'utf8');
	const relaxed = text.replace(/meson_version\s*:\s*'>=\s*1\.1\.0'/, "meson_version: '>= 1.0.0'");
	if (relaxed === text && /meson_version\s*:\s*'>=\s*1\.[1-9]/.test(text)) throw new Error('worker/meson.build: unexpected meson_version line');
	fs.writeFileSync(meson, relaxed);
	const subprojects = path.join(dir, 'subprojects');
	for (const f of fs.readdirSync(subprojects)) if (f.endsWith('.wrap')) fs.rmSync(path.join(subprojects, f));
	for (const [name, body] of Object.entries(SHIMS)) {
		const d = path.join(subprojects, name);
		fs.mkdirSync(d, { recursive: true });
		fs.writeFileSync(path.join(d, 'empty.c'), 'typedef int parley_empty_translation_unit;\n');
		fs.writeFileSync(path.join(d, 'meson.build'), `# Parley: system library shim (scripts/mediasoup-worker.mjs)\nproject('${name}', 'c')\n${body}\n`);
		if (SHIM_OPTIONS[name]) fs.writeFileSync(path.join(d, 'meson_options.txt'), `${SHIM_OPTIONS[name].join('\n')}\n`);
	}
}

function build(dir, pkg) {
	if (!BUILDABLE.has(pkg.version)) {
		throw new Error(`this script builds the worker of mediasoup ${[...BUILDABLE].join(', ')} against Debian 12's libraries, not ${pkg.version}`);
	}
	ensureAptPackages();
	const started = Date.now();
	const work = path.join(cacheDir(pkg.version), 'build');
	log(`building the worker in ${work} (about 6 minutes on 2 cores)`);
	prepareSources(path.join(dir, 'worker'), work);
	const out = path.join(work, 'out');
	sh('meson', ['setup', out, work, '--wrap-mode=nodownload', '--buildtype', 'release', '-Db_ndebug=true', '-Db_pie=true']);
	const jobs = String(Math.max(1, Number(process.env.PARLEY_BUILD_JOBS) || os.availableParallelism()));
	sh('ninja', ['-C', out, '-j', jobs, 'mediasoup-worker']);
	const bin = path.join(out, 'mediasoup-worker');
	if (!runs(bin)) throw new Error(`the built worker ${bin} does not run`);
	const seconds = Math.round((Date.now() - started) / 1000);
	const target = intoCache(pkg.version, bin, `built from source against system libraries in ${seconds} s on ${new Date().toISOString()}`);
	fs.rmSync(work, { recursive: true, force: true });
	log(`built in ${seconds} s`);
	return target;
}

async function main() {
	const { dir, pkg } = installedPackage();
	const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
	if (fromEnv && runs(fromEnv)) return fromEnv;
	if (fromEnv) log(`MEDIASOUP_WORKER_BIN=${fromEnv} does not run; looking further`);
	const packaged = path.join(dir, 'worker', 'out', 'Release', 'mediasoup-worker');
	if (!args.has('--force') && runs(packaged)) return packaged;
	const cached = path.join(cacheDir(pkg.version), 'mediasoup-worker');
	if (!args.has('--force') && runs(cached)) return cached;
	if (args.has('--check')) return null;
	return (await download(pkg)) ?? build(dir, pkg);
}

try {
	const bin = await main();
	if (!bin) {
		log('no mediasoup worker: run `npm run setup:media`');
		process.exit(1);
	}
	log(`worker: ${bin}`);
	console.log(bin);
} catch (error) {
	console.error(`[mediasoup-worker] ${error instanceof Error ? error.message : error}`);
	process.exit(1);
}
