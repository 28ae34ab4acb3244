import { describe, expect, it } from 'vitest';
import { Amf0Error, decodeAll, encode } from './amf0.js';

describe('AMF0', () => {
	it('round-trips what publishers send and what we answer', () => {
		const values = ['connect', 1, { app: 'live/42', tcUrl: 'rtmp://h/live/42', fpad: false, audioCodecs: 3575, nested: { a: null } }, null, undefined, true, [1, 'two']];
		expect(decodeAll(encode(...values))).toEqual(values);
	});

	it('reads an ECMA array (onMetaData) as an object, and a date as its number', () => {
		// 0x08, count 1, "w" = 640, object end
		const ecma = Buffer.from([0x08, 0, 0, 0, 1, 0, 1, 0x77, 0x00, ...encode(640).subarray(1), 0, 0, 9]);
		expect(decodeAll(ecma)).toEqual([{ w: 640 }]);
		const date = Buffer.from([0x0b, ...encode(1234).subarray(1), 0, 0]);
		expect(decodeAll(date)).toEqual([1234]);
	});

	it('refuses truncated, unknown and absurdly nested input with a clear error', () => {
		expect(() => decodeAll(encode('publish').subarray(0, 5))).toThrow(/truncated at byte 3/);
		expect(() => decodeAll(Buffer.from([0x11]))).toThrow(/unsupported type marker 0x11/);
		let deep = encode(1);
		for (let i = 0; i < 20; i++) deep = Buffer.concat([Buffer.from([0x0a, 0, 0, 0, 1]), deep]);
		expect(() => decodeAll(deep)).toThrow(Amf0Error);
		expect(() => decodeAll(deep)).toThrow(/nested too deeply/);
	});
});
