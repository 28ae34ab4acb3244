import { describe, it } from 'vitest';
import { findWorkerBinary } from '../../server/media/worker-bin.js';
import { ok, type Person } from './chat.js';
import type { ClientSocket } from './parley.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';

/**
 * `describe`, when this machine has a mediasoup worker. Without one: in CI the suite fails with the
 * reason (calls must be proven there); elsewhere it is skipped, saying why and how to get one.
 */
export function describeWithWorker(name: string, body: () => void): void {
	const found = findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN });
	if (!('error' in found)) {
		describe(name, body);
		return;
	}
	if (ci) {
		describe(name, () => {
			it('has a mediasoup worker (run `npm run setup:media`)', () => {
				throw new Error(`no mediasoup worker in CI: ${found.error}`);
			});
		});
		return;
	}
	console.warn(`[media tests] skipped "${name}": ${found.error}`);
	describe.skip(name, body);
}

/** Environment for a test server that carries calls: one worker, a small port range, a short ring. */
export function mediaEnv(ringMs = 1500): Record<string, string> {
	return { MEDIA_WORKERS: '1', MEDIA_LISTEN_IP: '127.0.0.1', MEDIA_MIN_PORT: '42000', MEDIA_MAX_PORT: '42999', CALL_RING_TIMEOUT_MS: String(ringMs) };
}

/** Fake but valid RTP parameters, so produce/consume can be negotiated without a browser. */
export function fakeRtpParameters(kind: 'audio' | 'video', ssrc: number) {
	return kind === 'audio'
		? {
				mid: '0',
				codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] }],
				headerExtensions: [],
				encodings: [{ ssrc }],
				rtcp: { cname: `test-${ssrc}`, reducedSize: true }
			}
		: {
				mid: '1',
				codecs: [
					{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }
				],
				headerExtensions: [],
				encodings: [{ ssrc }],
				rtcp: { cname: `test-${ssrc}`, reducedSize: true }
			};
}

export const FAKE_DTLS = {
	role: 'client',
	fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(':') }]
};

/** Places a call from `a` to `b` in `threadId` and has `answering` (a socket of b) accept it. */
export async function connectedCall(a: Person, answering: ClientSocket, threadId: string, video = true): Promise<string> {
	const { call } = await ok(a.socket, 'call:invite', { threadId, video });
	await ok(answering, 'call:accept', { callId: call.callId });
	return call.callId;
}
