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

/**
 * Opus frame duration of the transcode, in ms: 60 rather than ffmpeg's 20, so the audio is 16.7 RTP
 * packets a second instead of 50. The SFU's cost is per packet forwarded: 33 fewer a second per viewer
 * (issue 14, viewers per worker): 30% of a viewer's packets with 500 kbit/s video (~60 a second; 110
 * to ~77), 10% with the 2.5 Mbit/s the transcode makes (~270 a second; ~320 to ~290).
 * The 40 ms more latency does not matter for a live stream, which is one way. libopus packs three
 * 20-ms CELT frames into each packet (code 3, RFC 6716 section 3.2.5); browsers decode any Opus packet.
 * Constant bitrate (`-vbr off`): 128 kbit/s is then exactly 960 bytes a packet, within the RTP packet
 * size below. With VBR (constrained too) 60-ms packets reached 1,280 to 1,910 bytes, and ffmpeg's RTP
 * muxer, which does not split an Opus packet, exits ("Packet size 1902 too large for max RTP payload
 * size 1188").
 */
export const OPUS_FRAME_MS = 60;

function rtpUrl(t: RtpTarget): string {
	// pkt_size 1200: room for the SRTP and header extensions the SFU adds before a browser gets it.
	return `rtp://127.0.0.1:${t.rtpPort}?rtcpport=${t.rtcpPort}&pkt_size=1200`;
}

/**
 * The arguments of the ffmpeg that reads FLV on stdin and sends RTP to the two PlainTransports. A
 * keyframe every second (`-g 30` at 30 fps): ffmpeg cannot answer the SFU's keyframe requests (PLI),
 * so a viewer who joins, or loses a packet, waits for the next one. Opus in `lowdelay` (CELT only):
 * at 128 kbit/s stereo the `audio` application chooses CELT as well (the same code-3 packets of three
 * 20-ms CELT frames), with 4 ms more lookahead and nothing gained; its SILK and hybrid modes serve
 * lower bitrates.
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
		'-c:a', 'libopus', '-ar', '48000', '-ac', '2', '-b:a', '128k', '-application', 'lowdelay', '-frame_duration', String(OPUS_FRAME_MS), '-vbr', 'off',
		'-f', 'rtp', '-ssrc', String(o.audio.ssrc), '-payload_type', String(o.audio.payloadType), rtpUrl(o.audio)
	];
}

/** Starts the transcode; the caller writes FLV to its stdin and owns its end. */
export function startTranscode(o: TranscodeOptions): ChildProcess {
	return spawn(o.bin, transcodeArgs(o), { stdio: ['pipe', 'ignore', 'pipe'] });
}
