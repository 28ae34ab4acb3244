// Reading an Opus packet's duration from its first bytes (RFC 6716 section 3.1: the TOC byte's
// configuration gives the frame size, its last two bits how many frames the packet holds), for tests
// that check what the RTMP ingest's ffmpeg sends: the SFU forwards the packets as they are, so their
// duration is what decides the audio packets per viewer a second.

/** Frame sizes in ms of the 32 TOC configurations: SILK NB/MB/WB, hybrid SWB/FB, CELT NB/WB/SWB/FB. */
const FRAME_MS = [
	...[0, 1, 2].flatMap(() => [10, 20, 40, 60]),
	...[0, 1].flatMap(() => [10, 20]),
	...[0, 1, 2, 3].flatMap(() => [2.5, 5, 10, 20])
];

export interface OpusPacketShape {
	/** The TOC configuration, 0 to 31. */
	config: number;
	stereo: boolean;
	frames: number;
	/** frames × the configuration's frame size. */
	ms: number;
}

/** The shape of an Opus packet (an RTP payload); null for one too short to have it (a 1-byte packet is DTX). */
export function opusPacketShape(payload: Uint8Array): OpusPacketShape | null {
	if (payload.length < 1) return null;
	const toc = payload[0];
	const config = toc >> 3;
	const code = toc & 3;
	let frames: number;
	if (code === 0) frames = 1;
	else if (code === 3) {
		if (payload.length < 2) return null;
		frames = payload[1] & 0x3f;
	} else frames = 2;
	return { config, stereo: (toc & 4) !== 0, frames, ms: frames * FRAME_MS[config] };
}
