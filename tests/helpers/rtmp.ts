import { describe, it } from 'vitest';
import { checkFfmpeg } from '../../server/media/rtmp/ffmpeg.js';
import { FFMPEG } from './ffmpeg-publish.js';
import { describeWithWorker } from './media.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';
// The publisher has its own file, free of vitest, so the browser tests (Playwright) use it too.
export { FFMPEG, publish, type TestPublisher } from './ffmpeg-publish.js';

/**
 * `describeWithWorker`, when ffmpeg is here too. Without it: in CI the suite fails (RTMP must be
 * proven there; `npm run setup:media` installs it); elsewhere it is skipped, saying why.
 */
export function describeWithFfmpeg(name: string, body: () => void): void {
	const found = checkFfmpeg(FFMPEG);
	if (found.ok) {
		describeWithWorker(name, body);
		return;
	}
	if (ci) {
		describe(name, () => {
			it('has ffmpeg (run `npm run setup:media`)', () => {
				throw new Error(`no usable ffmpeg in CI: ${found.reason}`);
			});
		});
		return;
	}
	console.warn(`[rtmp tests] skipped "${name}": ${found.reason}`);
	describe.skip(name, body);
}
