import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { clientIp, MAX_BODY_BYTES, parseCookies, readJson, RequestAborted, send } from './http.js';

/** A request whose body is `chunks`, with the given headers. */
function fakeRequest(headers: Record<string, string>, chunks: Array<string | Buffer> = []): IncomingMessage {
	const req = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))) as unknown as IncomingMessage;
	Object.assign(req, { headers });
	return req;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
	const result = await promise.then(
		() => new Error('resolved'),
		(e: unknown) => e
	);
	expect(result).toBeInstanceOf(AppError);
	return result as AppError;
}

const json = { 'content-type': 'application/json' };

describe('readJson', () => {
	it('parses a JSON body, in however many chunks', async () => {
		expect(await readJson(fakeRequest(json, ['{"a":', ' [1, "é"]}']))).toEqual({ a: [1, 'é'] });
	});

	it('keeps a multi-byte character split across chunks', async () => {
		const bytes = Buffer.from('{"s":"😀"}');
		expect(await readJson(fakeRequest(json, [bytes.subarray(0, 7), bytes.subarray(7)]))).toEqual({ s: '😀' });
	});

	it('an empty body is {} whatever the content type', async () => {
		expect(await readJson(fakeRequest({}))).toEqual({});
		expect(await readJson(fakeRequest({ 'content-type': 'text/plain' }, ['']))).toEqual({});
	});

	it('takes a charset and any case', async () => {
		expect(await readJson(fakeRequest({ 'content-type': 'Application/JSON; charset=UTF-8' }, ['{}']))).toEqual({});
	});

	it('415 unsupported_media_type for a body of another type, or none declared', async () => {
		for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/jsonx' }, {}] as Array<Record<string, string>>) {
			const error = await rejection(readJson(fakeRequest(headers, ['{}'])));
			expect(error.code).toBe('unsupported_media_type');
			expect(error.status).toBe(415);
		}
	});

	it('400 invalid_input for a body that is not UTF-8, rather than reading U+FFFD into it', async () => {
		for (const bad of [Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), Buffer.from('{"a":"\xc3"}', 'latin1'), Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])]) {
			const error = await rejection(readJson(fakeRequest(json, [bad])));
			expect(error.code).toBe('invalid_input');
			expect(error.message).toBe('the request body is not valid UTF-8');
		}
	});

	it('a lone surrogate escaped in JSON parses (validate refuses it, naming the field)', async () => {
		expect(await readJson(fakeRequest(json, ['{"a":"\\ud800"}']))).toEqual({ a: '\ud800' });
	});

	it('a body that fails while being read because the client went away is RequestAborted', async () => {
		const body = new Readable({ read() {} });
		Object.assign(body, { headers: json });
		const reading = readJson(body as unknown as IncomingMessage);
		body.push('{"a":');
		body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
		await expect(reading).rejects.toBeInstanceOf(RequestAborted);
	});

	it('400 invalid_input for malformed JSON', async () => {
		const error = await rejection(readJson(fakeRequest(json, ['{"a":'])));
		expect(error.code).toBe('invalid_input');
		expect(error.status).toBe(400);
	});

	it('413 when the declared length is over the limit, before reading anything', async () => {
		const body = Readable.from((function* () {
			throw new Error('read the body');
		})()) as unknown as IncomingMessage;
		Object.assign(body, { headers: { ...json, 'content-length': String(MAX_BODY_BYTES + 1) } });
		const error = await rejection(readJson(body));
		expect(error.code).toBe('payload_too_large');
		expect(error.status).toBe(413);
	});

	it('413 when an undeclared body grows past the limit', async () => {
		const chunk = Buffer.alloc(16 * 1024, 0x20);
		const error = await rejection(readJson(fakeRequest(json, [chunk, chunk, chunk, chunk, Buffer.from('x')])));
		expect(error.code).toBe('payload_too_large');
	});

	it('a body of exactly the limit is read', async () => {
		const body = '{}'.padEnd(MAX_BODY_BYTES, ' ');
		expect(await readJson(fakeRequest({ ...json, 'content-length': String(MAX_BODY_BYTES) }, [body]))).toEqual({});
	});

	it('the limit can be set per call', async () => {
		expect((await rejection(readJson(fakeRequest(json, ['{"a":1}']), 3))).code).toBe('payload_too_large');
	});

	it('the limit is 64 KiB', () => {
		expect(MAX_BODY_BYTES).toBe(65_536);
	});
});

describe('parseCookies', () => {
	it('reads name=value pairs', () => {
		expect(parseCookies('a=1; parley_session=abc; theme=dark')).toEqual({ a: '1', parley_session: 'abc', theme: 'dark' });
	});

	it('nothing for no header', () => {
		expect(parseCookies(undefined)).toEqual({});
		expect(parseCookies('')).toEqual({});
	});

	it('decodes percent-encoding, and keeps a value that is not valid encoding as it is', () => {
		expect(parseCookies('a=hello%20world; b=%E0%A4%A')).toEqual({ a: 'hello world', b: '%E0%A4%A' });
	});

	it('keeps = inside a value', () => {
		expect(parseCookies('t=abc==')).toEqual({ t: 'abc==' });
	});

	it('the first of two cookies with one name wins', () => {
		expect(parseCookies('parley_session=first; parley_session=second')).toEqual({ parley_session: 'first' });
	});

	it('skips parts without a name or without =', () => {
		expect(parseCookies('junk; =nameless; ok=1')).toEqual({ ok: '1' });
	});

	it('a cookie named __proto__ does not change the prototype', () => {
		const cookies = parseCookies('__proto__=x; a=1');
		expect(Object.getPrototypeOf(cookies)).toBe(Object.prototype);
		expect(cookies.a).toBe('1');
	});
});

describe('clientIp', () => {
	const req = (remoteAddress: string | undefined, headers: Record<string, string> = {}) => ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

	it('is the socket address by default, ignoring X-Forwarded-For', () => {
		expect(clientIp(req('10.0.0.1', { 'x-forwarded-for': '1.2.3.4' }), false)).toBe('10.0.0.1');
	});

	it("is X-Forwarded-For's first hop behind a trusted proxy", () => {
		expect(clientIp(req('10.0.0.1', { 'x-forwarded-for': ' 1.2.3.4 , 10.0.0.1' }), true)).toBe('1.2.3.4');
	});

	it('falls back to the socket when a trusted proxy sends none', () => {
		expect(clientIp(req('10.0.0.1'), true)).toBe('10.0.0.1');
	});

	it('names an unknown address', () => {
		expect(clientIp(req(undefined), false)).toBe('unknown');
	});
});

describe('send', () => {
	function fakeResponse() {
		const out: { status?: number; headers?: Record<string, unknown>; body?: string } = {};
		const res = {
			writeHead(status: number, headers: Record<string, unknown>) {
				out.status = status;
				out.headers = headers;
				return res;
			},
			end(body?: string) {
				out.body = body;
			}
		};
		return { res: res as unknown as ServerResponse, out };
	}

	it('writes JSON with its length in bytes and no-store', () => {
		const { res, out } = fakeResponse();
		send(res, { status: 200, body: { s: 'é' } });
		expect(out.status).toBe(200);
		expect(out.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'content-length': 10, 'cache-control': 'no-store' });
		expect(out.body).toBe('{"s":"é"}');
	});

	it('writes no body for a result without one', () => {
		const { res, out } = fakeResponse();
		send(res, { status: 204, headers: { 'set-cookie': 'a=b' } });
		expect(out.status).toBe(204);
		expect(out.headers).toEqual({ 'cache-control': 'no-store', 'set-cookie': 'a=b' });
		expect(out.body).toBeUndefined();
	});
});
