/**
 * AMF0, the encoding of RTMP's commands (connect, createStream, publish) and of their answers. Only
 * the types publishers send and we answer with: number, boolean, string, object, null, undefined,
 * ECMA array, strict array, date (read, as its number) and long string.
 */
export type Amf0Value = number | boolean | string | null | undefined | Amf0Value[] | { [key: string]: Amf0Value };

const NUMBER = 0x00;
const BOOLEAN = 0x01;
const STRING = 0x02;
const OBJECT = 0x03;
const NULL = 0x05;
const UNDEFINED = 0x06;
const ECMA_ARRAY = 0x08;
const OBJECT_END = 0x09;
const STRICT_ARRAY = 0x0a;
const DATE = 0x0b;
const LONG_STRING = 0x0c;

export class Amf0Error extends Error {
	constructor(message: string) {
		super(`AMF0: ${message}`);
		this.name = 'Amf0Error';
	}
}

/** Reads every value in `buf` (a command: name, transaction id, then its arguments). */
export function decodeAll(buf: Buffer): Amf0Value[] {
	const reader = { buf, pos: 0 };
	const values: Amf0Value[] = [];
	while (reader.pos < buf.length) values.push(readValue(reader, 0));
	return values;
}

interface Reader {
	buf: Buffer;
	pos: number;
}

function need(r: Reader, n: number): void {
	if (r.pos + n > r.buf.length) throw new Amf0Error(`truncated at byte ${r.pos} (needs ${n} more)`);
}

function readString(r: Reader, long: boolean): string {
	const size = long ? 4 : 2;
	need(r, size);
	const len = long ? r.buf.readUInt32BE(r.pos) : r.buf.readUInt16BE(r.pos);
	r.pos += size;
	need(r, len);
	const s = r.buf.toString('utf8', r.pos, r.pos + len);
	r.pos += len;
	return s;
}

function readProperties(r: Reader, depth: number): { [key: string]: Amf0Value } {
	const obj: { [key: string]: Amf0Value } = {};
	for (;;) {
		const key = readString(r, false);
		need(r, 1);
		if (key === '' && r.buf[r.pos] === OBJECT_END) {
			r.pos++;
			return obj;
		}
		obj[key] = readValue(r, depth + 1);
	}
}

function readValue(r: Reader, depth: number): Amf0Value {
	// A publisher nests a few levels at most; a deeper value is hostile input, not a stream.
	if (depth > 16) throw new Amf0Error('nested too deeply');
	need(r, 1);
	const marker = r.buf[r.pos++];
	switch (marker) {
		case NUMBER:
			need(r, 8);
			r.pos += 8;
			return r.buf.readDoubleBE(r.pos - 8);
		case BOOLEAN:
			need(r, 1);
			return r.buf[r.pos++] !== 0;
		case STRING:
			return readString(r, false);
		case LONG_STRING:
			return readString(r, true);
		case OBJECT:
			return readProperties(r, depth);
		case ECMA_ARRAY:
			need(r, 4);
			r.pos += 4; // the count is a hint; the properties end with the object-end marker
			return readProperties(r, depth);
		case STRICT_ARRAY: {
			need(r, 4);
			const n = r.buf.readUInt32BE(r.pos);
			r.pos += 4;
			const items: Amf0Value[] = [];
			for (let i = 0; i < n; i++) items.push(readValue(r, depth + 1));
			return items;
		}
		case DATE:
			need(r, 10);
			r.pos += 10;
			return r.buf.readDoubleBE(r.pos - 10);
		case NULL:
			return null;
		case UNDEFINED:
			return undefined;
		default:
			throw new Amf0Error(`unsupported type marker 0x${marker.toString(16)} at byte ${r.pos - 1}`);
	}
}

/** Encodes `values` one after the other (a command or a data message). */
export function encode(...values: Amf0Value[]): Buffer {
	const parts: Buffer[] = [];
	for (const v of values) writeValue(parts, v);
	return Buffer.concat(parts);
}

function stringBytes(s: string): Buffer {
	const body = Buffer.from(s, 'utf8');
	const len = Buffer.alloc(2);
	len.writeUInt16BE(body.length);
	return Buffer.concat([len, body]);
}

function writeValue(parts: Buffer[], v: Amf0Value): void {
	if (typeof v === 'number') {
		const b = Buffer.alloc(9);
		b[0] = NUMBER;
		b.writeDoubleBE(v, 1);
		parts.push(b);
	} else if (typeof v === 'boolean') {
		parts.push(Buffer.from([BOOLEAN, v ? 1 : 0]));
	} else if (typeof v === 'string') {
		parts.push(Buffer.from([STRING]), stringBytes(v));
	} else if (v === null) {
		parts.push(Buffer.from([NULL]));
	} else if (v === undefined) {
		parts.push(Buffer.from([UNDEFINED]));
	} else if (Array.isArray(v)) {
		const head = Buffer.alloc(5);
		head[0] = STRICT_ARRAY;
		head.writeUInt32BE(v.length, 1);
		parts.push(head);
		for (const item of v) writeValue(parts, item);
	} else {
		parts.push(Buffer.from([OBJECT]));
		for (const [key, value] of Object.entries(v)) {
			parts.push(stringBytes(key));
			writeValue(parts, value);
		}
		parts.push(Buffer.from([0, 0, OBJECT_END]));
	}
}
