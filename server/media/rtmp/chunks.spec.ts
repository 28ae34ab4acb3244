import { describe, expect, it } from 'vitest';
import { ChunkError, ChunkReader, MAX_MESSAGE_BYTES, writeMessage } from './chunks.js';

const body = (n: number, fill = 7) => Buffer.alloc(n, fill);

describe('the RTMP chunk stream', () => {
	it('reassembles a message cut into chunks, whatever way TCP splits the bytes', () => {
		const message = { type: 9, timestamp: 1000, streamId: 1, payload: Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff)) };
		const wire = writeMessage(6, message, 128);
		expect(wire.length).toBe(12 + 1000 + 7); // one full header, then a 1-byte header per further chunk
		const reader = new ChunkReader();
		const out = [];
		for (let i = 0; i < wire.length; i += 37) out.push(...reader.push(wire.subarray(i, i + 37)));
		expect(out).toEqual([message]);
	});

	it('follows the compressed headers: format 1 and 2 deltas, format 3 repeating the last delta', () => {
		const reader = new ChunkReader();
		const fmt0 = writeMessage(4, { type: 8, timestamp: 100, streamId: 1, payload: body(3) }, 128);
		// format 1: delta 20, length 2, type 8
		const fmt1 = Buffer.from([0x44, 0, 0, 20, 0, 0, 2, 8, 1, 2]);
		// format 2: delta 30, same length and type
		const fmt2 = Buffer.from([0x84, 0, 0, 30, 3, 4]);
		// format 3: a new message, same delta again
		const fmt3 = Buffer.from([0xc4, 5, 6]);
		const out = reader.push(Buffer.concat([fmt0, fmt1, fmt2, fmt3]));
		expect(out.map((m) => [m.timestamp, m.type, m.streamId, [...m.payload]])).toEqual([
			[100, 8, 1, [7, 7, 7]],
			[120, 8, 1, [1, 2]],
			[150, 8, 1, [3, 4]],
			[180, 8, 1, [5, 6]]
		]);
	});

	it('reads extended timestamps, also on continuation chunks', () => {
		const message = { type: 9, timestamp: 0x01020304, streamId: 1, payload: body(300) };
		const reader = new ChunkReader();
		expect(reader.push(writeMessage(5, message, 128))).toEqual([message]);
	});

	it('uses the chunk size the peer set, and interleaved chunk streams', () => {
		const reader = new ChunkReader();
		reader.chunkSize = 4096;
		const a = writeMessage(6, { type: 9, timestamp: 0, streamId: 1, payload: body(5000, 1) }, 4096);
		const b = writeMessage(4, { type: 8, timestamp: 0, streamId: 1, payload: body(10, 2) }, 4096);
		// a's first chunk, then all of b, then a's second chunk
		const cut = 12 + 4096;
		const out = reader.push(Buffer.concat([a.subarray(0, cut), b, a.subarray(cut)]));
		expect(out.map((m) => [m.type, m.payload.length])).toEqual([
			[8, 10],
			[9, 5000]
		]);
	});

	it('refuses a chunk stream that starts without a full header, and oversized messages', () => {
		expect(() => new ChunkReader().push(Buffer.from([0xc3, 1, 2]))).toThrow(ChunkError);
		const huge = Buffer.from([0x03, 0, 0, 0, ...[(MAX_MESSAGE_BYTES + 1) >> 16, ((MAX_MESSAGE_BYTES + 1) >> 8) & 0xff, (MAX_MESSAGE_BYTES + 1) & 0xff], 9, 1, 0, 0, 0]);
		expect(() => new ChunkReader().push(huge)).toThrow(/limit/);
	});
});

describe('set chunk size', () => {
	it('applies to the chunks right after it in the same read', () => {
		const reader = new ChunkReader();
		const size = Buffer.alloc(4);
		size.writeUInt32BE(4096);
		const wire = Buffer.concat([writeMessage(2, { type: 1, timestamp: 0, streamId: 0, payload: size }, 128), writeMessage(3, { type: 20, timestamp: 0, streamId: 0, payload: body(300) }, 4096)]);
		expect(reader.push(wire).map((m) => [m.type, m.payload.length])).toEqual([
			[1, 4],
			[20, 300]
		]);
		expect(reader.chunkSize).toBe(4096);
	});
});
