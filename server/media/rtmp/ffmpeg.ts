import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Where ffmpeg is looked for when `FFMPEG_BIN` is not set: Debian's. */
export const DEFAULT_FFMPEG = '/usr/bin/ffmpeg';

/**
 * Whether `bin` is an ffmpeg that can make what the SFU forwards (libx264 or libvpx, and libopus).
 * The reason when not, for logs and the media status ("RTMP unavailable: ...").
 */
export function checkFfmpeg(bin: string): { ok: true } | { ok: false; reason: string } {
	const r = spawnSync(bin, ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 10_000 });
	if (r.error || r.status !== 0) return { ok: false, reason: `no ffmpeg at ${bin} (run \`npm run setup:media\` as root, or set FFMPEG_BIN)` };
	const missing = ['libx264', 'libvpx', 'libopus'].filter((name) => !new RegExp(`\\s${name}\\s`).test(r.stdout));
	if (missing.length > 0) return { ok: false, reason: `ffmpeg at ${bin} lacks the encoders ${missing.join(', ')}` };
	return { ok: true };
}

export type VideoTarget = 'h264' | 'vp8';

export interface RtpTarget {
	/** The PlainTransport's RTP and RTCP ports on 127.0.0.1. */
	rtpPort: number;
	rtcpPort: number;
	ssrc: number;
	payloadType: number;
}

export interface TranscodeOptions {
	bin: string;
	/** Copy the H.264 as it is (Baseline input, target h264), or encode to `target`. */
	copyVideo: boolean;
	target: VideoTarget;
	video: RtpTarget;
	audio: RtpTarget;
}

function rtpUrl(t: RtpTarget): string {
	// pkt_size 1200: room for the SRTP and header extensions the SFU adds before a browser gets it.
	return `rtp://127.0.0.1:${t.rtpPort}?rtcpport=${t.rtcpPort}&pkt_size=1200`;
}

/**
 * The arguments of the ffmpeg that reads FLV on stdin and sends RTP to the two PlainTransports. A
 * keyframe every second (`-g 30` at 30 fps): ffmpeg cannot answer the SFU's keyframe requests (PLI),
 * so a viewer who joins, or loses a packet, waits for the next one.
 */
export function transcodeArgs(o: TranscodeOptions): string[] {
	const video =
		o.target === 'vp8'
			? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '2500k', '-g', '30', '-error-resilient', '1', '-auto-alt-ref', '0', '-lag-in-frames', '0']
			: o.copyVideo
				? ['-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb']
				: ['-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-b:v', '2500k', '-maxrate', '3000k', '-bufsize', '3000k', '-g', '30'];
	return [
		'-hide_banner',
		'-nostats',
		'-loglevel', 'error',
		'-fflags', 'nobuffer',
		'-analyzeduration', '0',
		'-probesize', '32768',
		'-f', 'flv',
		'-i', 'pipe:0',
		'-map', '0:v:0?',
		...video,
		'-f', 'rtp', '-ssrc', String(o.video.ssrc), '-payload_type', String(o.video.payloadType), rtpUrl(o.video),
		'-map', '0:a:0?',
		'-c:a', 'libopus', '-ar', '48000', '-ac', '2', '-b:a', '128k', '-application', 'lowdelay',
		'-f', 'rtp', '-ssrc', String(o.audio.ssrc), '-payload_type', String(o.audio.payloadType), rtpUrl(o.audio)
	];
}

/** Starts the transcode; the caller writes FLV to its stdin and owns its end. */
export function startTranscode(o: TranscodeOptions): ChildProcess {
	return spawn(o.bin, transcodeArgs(o), { stdio: ['pipe', 'ignore', 'pipe'] });
}
