import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { log } from '../../logger.js';
import { startRtmp } from './index.js';

const hooks = { authenticate: async () => null, start: async () => Promise.reject(new Error('no live side here')), log: log.child('rtmp-spec') };

describe('the RTMP role', () => {
	it('is off with RTMP_PORT=0', async () => {
		const role = await startRtmp({ config: loadConfig({ RTMP_PORT: '0' }).rtmp, ...hooks });
		expect(role.status).toEqual({ rtmp: 'off' });
		expect(role.ingest).toBeNull();
	});

	it('is unavailable, saying why, without ffmpeg; nothing listens', async () => {
		const role = await startRtmp({ config: loadConfig({ RTMP_PORT: '0', FFMPEG_BIN: '/nonexistent/ffmpeg' }).rtmp, ...hooks });
		expect(role.status).toEqual({ rtmp: 'off' }); // off wins: nothing is checked
		const port = await freePort();
		const missing = await startRtmp({ config: loadConfig({ RTMP_PORT: String(port), RTMP_HOST: '127.0.0.1', FFMPEG_BIN: '/nonexistent/ffmpeg' }).rtmp, ...hooks });
		expect(missing.status).toEqual({ rtmp: 'unavailable', reason: 'no ffmpeg at /nonexistent/ffmpeg (run `npm run setup:media` as root, or set FFMPEG_BIN)' });
		expect(missing.ingest).toBeNull();
		await expect(connects(port)).resolves.toBe(false);
	});
});

async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const { port } = server.address() as net.AddressInfo;
	await new Promise((r) => server.close(r));
	return port;
}

function connects(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const s = net.connect(port, '127.0.0.1');
		s.once('connect', () => (s.destroy(), resolve(true)));
		s.once('error', () => resolve(false));
	});
}
