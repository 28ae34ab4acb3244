// `npm run setup:media`, first step: ffmpeg for the RTMP ingest (server/media/rtmp), Debian's package.
//
// The RTMP ingest pipes what OBS publishes through ffmpeg (libx264 or libvpx, and libopus) into the
// SFU. Without ffmpeg Parley still runs and reports RTMP as unavailable, so this step never fails the
// setup: as root it installs Debian's `ffmpeg` with apt (as the worker's build packages are installed);
// otherwise it says what to run. FFMPEG_BIN names another ffmpeg. Output goes to stderr (stdout is the
// worker's path, printed by the next step).
import { spawnSync } from 'node:child_process';

const bin = process.env.FFMPEG_BIN ?? '/usr/bin/ffmpeg';
const ENCODERS = ['libx264', 'libvpx', 'libopus'];
const log = (line) => console.error(`[ffmpeg] ${line}`);

function usable() {
	const r = spawnSync(bin, ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 10_000 });
	if (r.error || r.status !== 0) return false;
	return ENCODERS.every((name) => new RegExp(`\\s${name}\\s`).test(r.stdout));
}

if (usable()) {
	log(`${bin} is here, with ${ENCODERS.join(', ')}`);
} else if (process.env.FFMPEG_BIN) {
	log(`FFMPEG_BIN=${bin} is not an ffmpeg with ${ENCODERS.join(', ')}: RTMP will be unavailable`);
} else if (process.getuid?.() !== 0) {
	log('no ffmpeg: RTMP ingest will be unavailable until you run `sudo apt-get install ffmpeg`');
} else {
	log('installing ffmpeg (apt)');
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const install = () => spawnSync('apt-get', ['install', '-y', '-qq', 'ffmpeg'], { stdio: ['ignore', 'ignore', 'inherit'], env });
	if (install().status !== 0) {
		spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
		install();
	}
	log(usable() ? `installed: ${bin}` : 'apt-get install ffmpeg failed: RTMP ingest will be unavailable');
}
