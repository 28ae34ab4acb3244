import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../../logger.js';
import type { RtmpMessage } from './chunks.js';
import { startTranscode, type VideoTarget } from './ffmpeg.js';
import { flvHeader, flvTag, videoFit } from './flv.js';
import type { RtpProducers } from './rtp-producers.js';

export interface PublisherOptions {
	ffmpeg: string;
	target: VideoTarget;
	producers: RtpProducers;
	/** ffmpeg ended on its own (bad input, crash): the connection should close. */
	failed: (reason: string) => void;
	log: Logger;
}

/** Messages held until ffmpeg starts, at most (an audio-only stream starts ffmpeg when they are full). */
const HOLD_MESSAGES = 300;
/** ffmpeg's stdin may lag this far behind before the publisher is cut off (it is sending faster than we transcode). */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

/**
 * The media of one accepted publish: held until the first H.264 sequence header says whether the
 * video can be copied, then written as FLV into an ffmpeg that sends RTP to the producers. `close()`
 * ends ffmpeg (stdin closed, killed if it lingers) and the producers.
 */
export class Publisher {
	private held: RtmpMessage[] = [];
	private ffmpeg: ChildProcess | null = null;
	private closed = false;
	private stderr = '';
	/** When the publish was accepted and when ffmpeg started (for the figures in the logs). */
	readonly acceptedAt = Date.now();
	startedAt = 0;
	private videoCopied = false;

	constructor(private readonly options: PublisherOptions) {}

	/** The transcode once it runs: its process id, and whether the video is copied rather than encoded. */
	transcode(): { pid: number | undefined; videoCopied: boolean } | null {
		return this.ffmpeg ? { pid: this.ffmpeg.pid, videoCopied: this.videoCopied } : null;
	}

	write(message: RtmpMessage): void {
		if (this.closed) return;
		if (this.ffmpeg) {
			this.feed(message);
			return;
		}
		this.held.push(message);
		const fit = message.type === 9 ? videoFit(message.payload) : 'unknown';
		if (fit !== 'unknown') this.start(fit === 'copy' && this.options.target === 'h264');
		else if (this.held.length >= HOLD_MESSAGES) this.start(false);
	}

	private start(copyVideo: boolean): void {
		const { producers, log } = this.options;
		const ffmpeg = startTranscode({ bin: this.options.ffmpeg, copyVideo, target: this.options.target, ...producers.targets });
		this.ffmpeg = ffmpeg;
		this.videoCopied = copyVideo;
		this.startedAt = Date.now();
		log.info(`transcode started (pid ${ffmpeg.pid}, video ${copyVideo ? 'copied' : `encoded to ${this.options.target}`})`);
		ffmpeg.stderr!.setEncoding('utf8');
		ffmpeg.stderr!.on('data', (chunk: string) => {
			this.stderr = (this.stderr + chunk).slice(-2000);
		});
		ffmpeg.stdin!.on('error', () => {}); // EPIPE when ffmpeg quits first: its exit says why
		ffmpeg.once('error', (error) => this.fail(`ffmpeg did not start: ${error.message}`));
		ffmpeg.once('exit', (code, signal) => {
			if (!this.closed) this.fail(`ffmpeg exited (${code ?? signal}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
		});
		ffmpeg.stdin!.write(flvHeader());
		for (const m of this.held) this.feed(m);
		this.held = [];
	}

	private feed(message: RtmpMessage): void {
		const stdin = this.ffmpeg!.stdin!;
		if (stdin.writableLength > MAX_BACKLOG_BYTES) {
			this.fail(`the transcode is ${stdin.writableLength} bytes behind the publisher`);
			return;
		}
		stdin.write(flvTag(message));
	}

	private fail(reason: string): void {
		if (this.closed) return;
		this.options.log.warn(reason);
		this.close();
		this.options.failed(reason);
	}

	/** Stops the transcode and closes the producers. */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		this.held = [];
		const ffmpeg = this.ffmpeg;
		if (ffmpeg && ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
			ffmpeg.stdin!.end();
			const kill = setTimeout(() => ffmpeg.kill('SIGKILL'), 2000);
			kill.unref();
			ffmpeg.once('exit', () => clearTimeout(kill));
		}
		this.options.producers.close();
	}
}
