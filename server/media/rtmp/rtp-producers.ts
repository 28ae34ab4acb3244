import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import type { RtpTarget, VideoTarget } from './ffmpeg.js';

const VIDEO_PT = 102;
const AUDIO_PT = 100;

export interface RtpProducers {
	video: types.Producer;
	audio: types.Producer;
	/** Where ffmpeg sends each kind. */
	targets: { video: RtpTarget; audio: RtpTarget };
	close(): void;
}

function videoCodec(target: VideoTarget): types.RtpCodecParameters {
	return target === 'vp8'
		? { mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }
		: { mimeType: 'video/H264', payloadType: VIDEO_PT, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 } };
}

/**
 * A video and an audio Producer on `router`, each fed by a PlainTransport on 127.0.0.1 that learns
 * ffmpeg's address from its first packet (comedia), RTCP on its own port as ffmpeg sends it. ffmpeg
 * sends the SSRCs and payload types given here. `close()` closes both transports and so both producers.
 */
export async function createRtpProducers(router: types.Router, target: VideoTarget, appData: Record<string, unknown>): Promise<RtpProducers> {
	const transports: types.PlainTransport[] = [];
	const close = () => {
		for (const t of transports) t.close();
	};
	try {
		const plain = async () => {
			const t = await router.createPlainTransport({ listenIp: { ip: '127.0.0.1' }, rtcpMux: false, comedia: true, appData });
			transports.push(t);
			return t;
		};
		const [vt, at] = [await plain(), await plain()];
		// 0 is a valid SSRC but some tools treat it as unset; keep clear of it.
		const ssrcs = { video: randomInt(1, 2 ** 31), audio: randomInt(1, 2 ** 31) };
		const video = await vt.produce({
			kind: 'video',
			rtpParameters: { codecs: [videoCodec(target)], encodings: [{ ssrc: ssrcs.video }] },
			appData: { ...appData, source: 'camera' }
		});
		const audio = await at.produce({
			kind: 'audio',
			rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: ssrcs.audio }] },
			appData: { ...appData, source: 'mic' }
		});
		const portsOf = (t: types.PlainTransport, ssrc: number, payloadType: number): RtpTarget => ({ rtpPort: t.tuple.localPort, rtcpPort: t.rtcpTuple!.localPort, ssrc, payloadType });
		return { video, audio, targets: { video: portsOf(vt, ssrcs.video, VIDEO_PT), audio: portsOf(at, ssrcs.audio, AUDIO_PT) }, close };
	} catch (error) {
		close();
		throw error;
	}
}
