import { describe, expect, it } from 'vitest';
import { contentDisposition } from './content.js';
import { parseRange, servedAs } from './download.js';

describe('parseRange', () => {
	it('reads one range, clamped to the file', () => {
		expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
		expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
		expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
		expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
		expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
		expect(parseRange(' Bytes = 1 - 2 ', 1000)).toEqual({ start: 1, end: 2 });
	});

	it('unsatisfiable when no byte of it exists', () => {
		expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
		expect(parseRange('bytes=1000-2000', 1000)).toBe('unsatisfiable');
		expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
		expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
		expect(parseRange('bytes=-1', 0)).toBe('unsatisfiable');
	});

	it('null (serve it all) for anything else: several ranges, other units, backwards, garbage, huge numbers', () => {
		for (const header of ['bytes=0-1,3-4', 'items=0-1', 'bytes=5-3', 'bytes=-', 'bytes=a-b', 'bytes', '', 'bytes=99999999999999999999-']) {
			expect(parseRange(header, 1000), header).toBeNull();
		}
	});
});

describe('contentDisposition', () => {
	it('gives an ASCII fallback and the exact name, percent-encoded', () => {
		expect(contentDisposition('report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
		expect(contentDisposition('naïve résumé.pdf')).toBe(`attachment; filename="naive resume.pdf"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf`);
		expect(contentDisposition('日本.txt')).toBe(`attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`);
	});

	it('nothing in a name can end the header, add a parameter or name a directory', () => {
		const header = contentDisposition('a"b\\c/d\r\nSet-Cookie: x=1; filename=evil.exe%00\u0000.txt');
		expect(header).not.toMatch(/[\r\n\u0000]/);
		const [, ascii, encoded] = /^attachment; filename="([^"]*)"; filename\*=UTF-8''(\S+)$/.exec(header)!;
		expect(ascii).not.toMatch(/["\\/%]/);
		expect(decodeURIComponent(encoded)).toBe('a"b_c_dSet-Cookie: x=1; filename=evil.exe%00.txt');
		expect(encoded).not.toMatch(/['()*;"]/);
		expect(contentDisposition('\u0000\u0001')).toBe(`attachment; filename="file"; filename*=UTF-8''file`);
	});
});

describe('servedAs', () => {
	it('serves a passive type as itself: attached with a download name, inline without (thumbnails)', () => {
		expect(servedAs({ type: 'image/png', downloadName: 'a.png' })).toEqual({ 'content-type': 'image/png', 'content-disposition': contentDisposition('a.png') });
		expect(servedAs({ type: 'image/webp' })).toEqual({ 'content-type': 'image/webp' });
	});

	it('never serves a type a browser could run or render as itself, nor inline', () => {
		for (const type of ['image/svg+xml', 'application/xml', 'text/xml', 'application/xhtml+xml', 'text/html', 'application/x-javascript', 'text/jscript', 'multipart/x-mixed-replace', 'application/x-shockwave-flash']) {
			expect(servedAs({ type, downloadName: 'x' }), type).toEqual({ 'content-type': 'application/octet-stream', 'content-disposition': contentDisposition('x') });
			expect(servedAs({ type }), type).toEqual({ 'content-type': 'application/octet-stream', 'content-disposition': contentDisposition('file') });
		}
	});
});
