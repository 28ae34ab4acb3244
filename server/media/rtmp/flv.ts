import { encode } from './amf0.js';
import type { RtmpMessage } from './chunks.js';

/**
 * RTMP's audio, video and data messages are FLV tags without the file around them: ffmpeg reads the
 * published stream as FLV on its stdin. The header says "audio and video"; ffmpeg finds which of them
 * the stream really has from the tags.
 */
export function flvHeader(): Buffer {
	return Buffer.from([0x46, 0x4c, 0x56, 0x01, 0x05, 0, 0, 0, 9, 0, 0, 0, 0]);
}

const SET_DATA_FRAME = encode('@setDataFrame');

/** One FLV tag (and the size after it) for an audio (8), video (9) or data (18) message. */
export function flvTag(message: RtmpMessage): Buffer {
	let data = message.payload;
	// A publisher sends its metadata as `@setDataFrame("onMetaData", {...})`; FLV files hold `onMetaData({...})`.
	if (message.type === 18 && data.subarray(0, SET_DATA_FRAME.length).equals(SET_DATA_FRAME)) data = data.subarray(SET_DATA_FRAME.length);
	const head = Buffer.alloc(11);
	head[0] = message.type;
	head.writeUIntBE(data.length, 1, 3);
	head.writeUIntBE(message.timestamp & 0xffffff, 4, 3);
	head[7] = (message.timestamp >>> 24) & 0xff;
	const tail = Buffer.alloc(4);
	tail.writeUInt32BE(11 + data.length);
	return Buffer.concat([head, data, tail]);
}

export type VideoFit = 'copy' | 'transcode' | 'unknown';

/**
 * Whether a video message's H.264 can go to the SFU as it is: the AVC sequence header (codec 7,
 * packet type 0) of a Baseline (66) or Constrained Baseline stream, which has no B-frames and
 * matches the router's `42e01f`. Anything else (Main, High, another codec) is transcoded.
 * 'unknown' for messages that are not a sequence header.
 */
export function videoFit(payload: Buffer): VideoFit {
	if (payload.length < 2) return 'unknown';
	const codecId = payload[0] & 0x0f;
	if (codecId !== 7) return 'transcode';
	if (payload[1] !== 0) return 'unknown';
	// After the 5-byte FLV video header: AVCDecoderConfigurationRecord (version, profile, compat, level).
	if (payload.length < 9) return 'unknown';
	return payload[6] === 66 ? 'copy' : 'transcode';
}
