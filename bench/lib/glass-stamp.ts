// Glass-to-glass stamps, for bench/live.ts: the source paints the wall clock (ms) into every frame as
// 32 full-height columns, black or white (large blocks survive any encoder), and the viewer page reads
// them back from its <video> at each presented frame and subtracts them from its own clock (source and
// viewer run on one machine: one clock).
//   columns 0..23: the low 24 bits of Date.now() (ms, wraps every ~4.6 h), least significant first;
//   columns 24..31: the constant MARK, least significant first, so a frame that is not a stamp (or a
//   smeared one) is rejected instead of read as a wrong time.
// Two sources paint it: ffmpeg (geq, whose time(0) is the wall clock when the frame is filtered) for
// the RTMP path, and a canvas that stands in for the camera (`canvasCameraScript`) for the browser.
import type { Page } from '@playwright/test';

export const BITS = 24;
export const MARK = 0xa5;
const COLUMNS = 32;

/** ffmpeg's `-vf` for a 640x360 stamped picture, evaluated per frame as it is filtered (after `-re`'s pacing). */
export function ffmpegStampFilter(): string {
	const bit = `mod(floor(time(0)*1000/pow(2\\,X))\\,2)`;
	const mark = `mod(floor(${MARK}/pow(2\\,X-${BITS}))\\,2)`;
	return `scale=${COLUMNS}:2,format=gray,geq=lum='255*if(lt(X\\,${BITS})\\,${bit}\\,${mark})',scale=640:360:flags=neighbor,format=yuv420p`;
}

/**
 * For `page.addInitScript`: getUserMedia's video becomes a 640x360 canvas painted with the stamp 30 times
 * a second (the fake microphone's audio is kept), so a browser broadcast carries the stamps.
 */
export function canvasCameraScript(): string {
	return `(() => {
	const md = navigator.mediaDevices;
	if (!md || !md.getUserMedia) return;
	const original = md.getUserMedia.bind(md);
	md.getUserMedia = async (constraints) => {
		const stream = await original(constraints);
		if (!constraints || !constraints.video) return stream;
		const canvas = document.createElement('canvas');
		canvas.width = 640; canvas.height = 360;
		const g = canvas.getContext('2d');
		const paint = () => {
			const t = Date.now();
			const w = canvas.width / ${COLUMNS};
			for (let i = 0; i < ${COLUMNS}; i++) {
				const on = i < ${BITS} ? Math.floor(t / 2 ** i) % 2 : Math.floor(${MARK} / 2 ** (i - ${BITS})) % 2;
				g.fillStyle = on ? '#fff' : '#000';
				g.fillRect(i * w, 0, w, canvas.height);
			}
		};
		paint();
		setInterval(paint, 1000 / 30);
		const video = canvas.captureStream(30).getVideoTracks()[0];
		for (const old of stream.getVideoTracks()) { old.stop(); stream.removeTrack(old); }
		stream.addTrack(video);
		return stream;
	};
})();`;
}

export interface StampReading {
	/** Latencies of the frames whose stamp read cleanly, ms. */
	latencies: number[];
	/** Frames presented whose columns did not carry the mark (not a stamp, or smeared). */
	rejected: number;
}

/** Reads stamps off `selector`'s <video> at each presented frame for `ms`, in the page. */
export async function readStamps(page: Page, selector: string, ms: number): Promise<StampReading> {
	await page.evaluate('globalThis.__name = (f) => f'); // tsx's helper, missing in pages
	return page.evaluate(
		({ selector, ms, bits, mark, columns }) =>
			new Promise<StampReading>((resolve, reject) => {
				const video = document.querySelector(selector) as HTMLVideoElement | null;
				if (!video) return reject(new Error(`no ${selector}`));
				const canvas = document.createElement('canvas');
				canvas.width = columns * 10;
				canvas.height = 4;
				const g = canvas.getContext('2d', { willReadFrequently: true })!;
				const wrap = 2 ** bits;
				const out: StampReading = { latencies: [], rejected: 0 };
				const end = performance.now() + ms;
				const onFrame = () => {
					const now = Date.now();
					g.drawImage(video, 0, 0, canvas.width, canvas.height);
					const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
					let stamp = 0;
					let seen = 0;
					for (let i = 0; i < columns; i++) {
						const at = (2 * canvas.width + i * 10 + 5) * 4; // row 2, the column's middle
						const on = (px[at] + px[at + 1] + px[at + 2]) / 3 > 128 ? 1 : 0;
						if (i < bits) stamp += on * 2 ** i;
						else seen += on * 2 ** (i - bits);
					}
					const latency = (((now % wrap) - stamp) % wrap + wrap) % wrap;
					if (seen === mark && latency < 60_000) out.latencies.push(latency);
					else out.rejected++;
					if (performance.now() < end) video.requestVideoFrameCallback(onFrame);
					else resolve(out);
				};
				video.requestVideoFrameCallback(onFrame);
			}),
		{ selector, ms, bits: BITS, mark: MARK, columns: COLUMNS }
	);
}

export function summarize(reading: StampReading): { frames: number; rejected: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null } {
	const sorted = [...reading.latencies].sort((a, b) => a - b);
	const at = (p: number) => (sorted.length === 0 ? null : Math.round(sorted[Math.max(0, Math.ceil(sorted.length * p) - 1)]));
	return { frames: sorted.length, rejected: reading.rejected, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted.length === 0 ? null : Math.round(sorted[sorted.length - 1]) };
}
