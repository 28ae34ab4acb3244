import { spawn, type ChildProcess } from 'node:child_process';
import { DEFAULT_FFMPEG } from '../../server/media/rtmp/ffmpeg.js';

/** The ffmpeg the RTMP tests publish with. */
export const FFMPEG = process.env.FFMPEG_BIN ?? DEFAULT_FFMPEG;

export interface TestPublisher {
	process: ChildProcess;
	/** Resolves with the exit code (or signal) when ffmpeg ends. */
	exited: Promise<number | string>;
	/** What it printed (its reason when refused). */
	output(): string;
	stop(): Promise<void>;
}

/**
 * An OBS stand-in: ffmpeg publishing a 640x360 30 fps test pattern with a 440 Hz tone, as H.264 and
 * AAC in FLV, in real time. `profile` picks the H.264 profile (baseline input is copied, others are
 * transcoded).
 */
export function publish(url: string, options: { profile?: 'baseline' | 'high'; seconds?: number } = {}): TestPublisher {
	const args = [
		'-hide_banner', '-loglevel', 'info', '-nostats',
		'-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
		'-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
		'-t', String(options.seconds ?? 60),
		'-c:v', 'libx264', '-profile:v', options.profile ?? 'high', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '30',
		'-c:a', 'aac', '-b:a', '128k',
		'-f', 'flv', url
	];
	const child = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
	let output = '';
	child.stderr!.setEncoding('utf8');
	child.stderr!.on('data', (s: string) => {
		output = (output + s).slice(-4000);
	});
	const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
	return {
		process: child,
		exited,
		output: () => output,
		stop: async () => {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			await exited;
		}
	};
}
