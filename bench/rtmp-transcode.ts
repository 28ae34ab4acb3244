// CPU of the RTMP ingest's ffmpeg (server/media/rtmp): what one RTMP stream costs a media node, for
// the live bench. The same FLV an OBS stand-in would publish (640x360, 30 fps test pattern with a
// 440 Hz tone, H.264 and AAC) goes through ffmpeg with the ingest's own arguments (transcodeArgs),
// as fast as it can, sending RTP to a closed port. The figure is CPU seconds per second of media, as
// a share of one core: what a real-time stream takes, independent of how loaded the machine is (an
// in-process measurement at real time reads low when ffmpeg is starved). Three cases: High profile in,
// encoded to H.264 Baseline (the default); Baseline in, copied; High in, encoded to VP8.
// Writes bench/results/rtmp-transcode.json.
//
//   npm run bench -- rtmp-transcode [--quick]      (quick: 5 s of media instead of 30 s)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkFfmpeg, DEFAULT_FFMPEG, transcodeArgs, type VideoTarget } from '../server/media/rtmp/ffmpeg.js';

const quick = process.argv.includes('--quick');
const seconds = quick ? 5 : 30;
const ffmpeg = process.env.FFMPEG_BIN ?? DEFAULT_FFMPEG;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-rtmp-'));

function source(profile: 'high' | 'baseline'): string {
	const file = path.join(work, `${profile}.flv`);
	const r = spawnSync(ffmpeg, [
		'-hide_banner', '-loglevel', 'error',
		'-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
		'-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
		'-t', String(seconds),
		'-c:v', 'libx264', '-profile:v', profile, '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '60',
		'-c:a', 'aac', '-b:a', '128k', '-f', 'flv', '-y', file
	]);
	if (r.status !== 0) throw new Error(`making the ${profile} source failed: ${r.stderr}`);
	return file;
}

/** Runs the ingest's ffmpeg on `file` under a shell that reports its waited-for children's CPU. */
async function cpuOf(file: string, copyVideo: boolean, target: VideoTarget): Promise<number> {
	const args = transcodeArgs({ bin: ffmpeg, copyVideo, target, video: { rtpPort: 9, rtcpPort: 9, ssrc: 1, payloadType: 102 }, audio: { rtpPort: 9, rtcpPort: 9, ssrc: 2, payloadType: 100 } });
	// After `wait`, the shell's cutime and cstime (fields 16 and 17 of /proc/PID/stat) hold ffmpeg's CPU.
	const child = spawn('sh', ['-c', '"$@" < "$FLV" >/dev/null 2>&1; cat /proc/$$/stat', 'sh', ffmpeg, ...args], { env: { ...process.env, FLV: file }, stdio: ['ignore', 'pipe', 'inherit'] });
	let out = '';
	child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
	await new Promise((resolve) => child.on('exit', resolve));
	const fields = out.slice(out.lastIndexOf(')') + 2).trim().split(' ');
	const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
	return (Number(fields[13]) + Number(fields[14])) / ticks;
}

const found = checkFfmpeg(ffmpeg);
if (!found.ok) {
	console.error(`rtmp-transcode: ${found.reason}`);
	process.exit(1);
}
try {
	const high = source('high');
	const baseline = source('baseline');
	const cases = [
		{ name: 'High in, x264 Baseline + Opus out (default)', file: high, copy: false, target: 'h264' as const },
		{ name: 'Baseline in, video copied, Opus out', file: baseline, copy: true, target: 'h264' as const },
		{ name: 'High in, VP8 + Opus out (RTMP_VIDEO_CODEC=vp8)', file: high, copy: false, target: 'vp8' as const }
	];
	const results = [];
	for (const c of cases) {
		const cpu = await cpuOf(c.file, c.copy, c.target);
		const share = cpu / seconds;
		results.push({ case: c.name, mediaSeconds: seconds, cpuSeconds: Number(cpu.toFixed(2)), coreShare: Number(share.toFixed(3)) });
		console.log(`${c.name.padEnd(50)} ${(share * 100).toFixed(1).padStart(5)}% of a core per 640x360 30 fps stream`);
	}
	const result = { scenario: 'rtmp-transcode', date: new Date().toISOString(), quick, cpus: os.cpus().length, loadAverage: os.loadavg()[0], results };
	fs.mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
	fs.writeFileSync(path.join(import.meta.dirname, 'results', 'rtmp-transcode.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
	fs.rmSync(work, { recursive: true, force: true });
}
