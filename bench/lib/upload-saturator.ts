// One user uploading as fast as the server takes it, for as long as it runs: tus uploads of `bytes`
// each (a creation POST, then one PATCH streamed from one reused buffer, so making the bytes costs
// nothing), every finished file deleted again (DELETE /api/files/{id}) so the disk does not fill.
// Reports the bytes sent so far ({ bytes } over IPC, every 250 ms: written into the socket, so at most
// the socket's buffers ahead of what the server took); runs until killed.
//
//   spawnNode({ script: 'bench/lib/upload-saturator.ts', args: [baseUrl, token, bytes] })
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { FILE_ID_HEADER } from '../../src/lib/protocol/index.js';

const [baseUrl, token, bytesArg] = process.argv.slice(2);
const size = Number(bytesArg);
const block = randomBytes(1024 * 1024);
let sent = 0;

function request(method: string, path: string, headers: Record<string, string | number>, body?: (req: http.ClientRequest) => void): Promise<http.IncomingMessage> {
	return new Promise((resolve, reject) => {
		const req = http.request(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
			res.resume();
			res.on('end', () => resolve(res));
		});
		req.on('error', reject);
		if (body) body(req);
		else req.end();
	});
}

/** Streams `size` bytes into the upload, waiting for the socket to drain as TCP says. */
function send(req: http.ClientRequest): void {
	let left = size;
	const pump = () => {
		while (left > 0) {
			const n = Math.min(left, block.length);
			left -= n;
			sent += n;
			if (!req.write(n === block.length ? block : block.subarray(0, n))) {
				req.once('drain', pump);
				return;
			}
		}
		req.end();
	};
	pump();
}

async function once(): Promise<void> {
	const created = await request('POST', '/files/', { 'tus-resumable': '1.0.0', 'upload-length': size, 'upload-metadata': `filename ${Buffer.from('saturate.bin').toString('base64')}` });
	if (created.statusCode !== 201) throw new Error(`creation answered ${created.statusCode}`);
	const location = String(created.headers.location);
	const patched = await request('PATCH', location, { 'tus-resumable': '1.0.0', 'upload-offset': 0, 'content-type': 'application/offset+octet-stream', 'content-length': size }, send);
	if (patched.statusCode !== 204) throw new Error(`PATCH answered ${patched.statusCode}`);
	const fileId = patched.headers[FILE_ID_HEADER.toLowerCase()];
	if (fileId) await request('DELETE', `/api/files/${fileId}`, {});
}

setInterval(() => process.send?.({ bytes: sent }), 250).unref();
process.on('disconnect', () => process.exit(0));
for (;;) {
	try {
		await once();
	} catch (error) {
		process.send?.({ error: (error as Error).message });
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}
