/**
 * RTMP's chunk stream: messages cut into chunks of at most `chunkSize` bytes, interleaved by chunk
 * stream id, each chunk's header compressed against the previous one of its chunk stream (formats 0
 * to 3). `ChunkReader` reassembles messages from TCP bytes as they come; `writeMessage` cuts one.
 */
export interface RtmpMessage {
	/** Message type: 1 set chunk size, 5 window ack size, 8 audio, 9 video, 18 data, 20 command... */
	type: number;
	/** Absolute timestamp in milliseconds (wraps at 2^32). */
	timestamp: number;
	streamId: number;
	payload: Buffer;
}

export class ChunkError extends Error {
	constructor(message: string) {
		super(`RTMP chunk stream: ${message}`);
		this.name = 'ChunkError';
	}
}

interface ChunkStreamState {
	timestamp: number;
	delta: number;
	length: number;
	type: number;
	streamId: number;
	extended: boolean;
	parts: Buffer[];
	received: number;
}

/** The largest message we accept (the format allows 16 MiB): a 4K keyframe fits; beyond that is abuse. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Distinct chunk streams a publisher may open (it needs a handful). */
const MAX_CHUNK_STREAMS = 64;

export class ChunkReader {
	/** Incoming chunk size; a "set chunk size" message (type 1) read here changes it. */
	chunkSize = 128;
	private buffered: Buffer = Buffer.alloc(0);
	private readonly streams = new Map<number, ChunkStreamState>();

	/** Appends `data` and returns the messages it completed. Throws `ChunkError` on a broken stream. */
	push(data: Buffer): RtmpMessage[] {
		this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
		const out: RtmpMessage[] = [];
		for (;;) {
			const used = this.readChunk(out);
			if (used === 0) break;
			this.buffered = this.buffered.subarray(used);
		}
		return out;
	}

	/** Reads one whole chunk at the start of the buffer; returns the bytes it used, or 0 if incomplete. */
	private readChunk(out: RtmpMessage[]): number {
		const b = this.buffered;
		if (b.length < 1) return 0;
		const fmt = b[0] >> 6;
		let csid = b[0] & 0x3f;
		let pos = 1;
		if (csid === 0) {
			if (b.length < 2) return 0;
			csid = 64 + b[1];
			pos = 2;
		} else if (csid === 1) {
			if (b.length < 3) return 0;
			csid = 64 + b[1] + b[2] * 256;
			pos = 3;
		}
		const headerSize = [11, 7, 3, 0][fmt];
		if (b.length < pos + headerSize) return 0;

		let state = this.streams.get(csid);
		if (!state) {
			if (fmt !== 0) throw new ChunkError(`chunk stream ${csid} starts with a format ${fmt} header`);
			if (this.streams.size >= MAX_CHUNK_STREAMS) throw new ChunkError(`more than ${MAX_CHUNK_STREAMS} chunk streams`);
			state = { timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, parts: [], received: 0 };
		}
		const next = { ...state };
		let field = 0;
		if (fmt <= 2) field = b.readUIntBE(pos, 3);
		if (fmt <= 1) {
			next.length = b.readUIntBE(pos + 3, 3);
			next.type = b[pos + 6];
		}
		if (fmt === 0) next.streamId = b.readUInt32LE(pos + 7);
		pos += headerSize;
		if (fmt <= 2) next.extended = field === 0xffffff;
		if (next.extended) {
			if (b.length < pos + 4) return 0;
			if (fmt <= 2) field = b.readUInt32BE(pos);
			pos += 4;
		}
		if (next.length > MAX_MESSAGE_BYTES) throw new ChunkError(`message of ${next.length} bytes on chunk stream ${csid} (limit ${MAX_MESSAGE_BYTES})`);

		const starting = next.received === 0;
		const take = Math.min(this.chunkSize, next.length - next.received);
		if (b.length < pos + take) return 0;

		// Timestamps: format 0 is absolute; 1 and 2 carry a delta; 3 repeats the last delta when it
		// starts a new message (and adds nothing when it continues one).
		if (starting) {
			if (fmt === 0) next.timestamp = field;
			else if (fmt === 1 || fmt === 2) {
				next.delta = field;
				next.timestamp = (next.timestamp + field) >>> 0;
			} else next.timestamp = (next.timestamp + next.delta) >>> 0;
		}
		next.parts.push(b.subarray(pos, pos + take)); // shared with `state`, which is replaced below anyway
		next.received += take;
		pos += take;
		if (next.received >= next.length) {
			const payload = Buffer.concat(next.parts);
			// "Set chunk size" applies from the next chunk on, which may be in this same read.
			if (next.type === 1 && payload.length >= 4) this.chunkSize = Math.max(1, payload.readUInt32BE(0) & 0x7fffffff);
			out.push({ type: next.type, timestamp: next.timestamp, streamId: next.streamId, payload });
			next.parts = [];
			next.received = 0;
		}
		this.streams.set(csid, next);
		return pos;
	}
}

/** Cuts one message into chunks of `chunkSize` on chunk stream `csid` (2 to 63): a format 0 header, then format 3. */
export function writeMessage(csid: number, message: RtmpMessage, chunkSize: number): Buffer {
	const { payload } = message;
	const extended = message.timestamp >= 0xffffff;
	const header = Buffer.alloc(12 + (extended ? 4 : 0));
	header[0] = csid & 0x3f;
	header.writeUIntBE(extended ? 0xffffff : message.timestamp, 1, 3);
	header.writeUIntBE(payload.length, 4, 3);
	header[7] = message.type;
	header.writeUInt32LE(message.streamId, 8);
	if (extended) header.writeUInt32BE(message.timestamp, 12);
	const parts: Buffer[] = [header];
	for (let offset = 0; offset < payload.length || offset === 0; offset += chunkSize) {
		if (offset > 0) {
			parts.push(Buffer.from([0xc0 | (csid & 0x3f)]));
			if (extended) parts.push(header.subarray(12, 16));
		}
		parts.push(payload.subarray(offset, offset + chunkSize));
		if (payload.length === 0) break;
	}
	return Buffer.concat(parts);
}
