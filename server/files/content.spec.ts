import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isActiveType, sniffType, UNKNOWN_TYPE } from './content.js';

describe('isActiveType', () => {
	it('knows HTML, every XML, every script type, server push and Flash, in any case and with parameters', () => {
		const active = [
			'text/html',
			'TEXT/HTML; charset=utf-8',
			'application/xhtml+xml',
			'image/svg+xml',
			'text/xml',
			'application/xml',
			'application/rss+xml',
			'application/xslt+xml',
			'text/xsl',
			'text/javascript',
			'application/javascript',
			'application/ecmascript',
			'text/ecmascript',
			'application/x-javascript',
			'text/x-javascript',
			'application/x-ecmascript',
			'text/x-ecmascript',
			'text/jscript',
			'text/livescript',
			'text/javascript1.5',
			'multipart/x-mixed-replace',
			'application/x-shockwave-flash',
			'application/futuresplash'
		];
		for (const type of active) expect(isActiveType(type), type).toBe(true);
	});

	it('leaves passive types alone', () => {
		for (const type of ['text/plain', 'text/csv', 'image/png', 'image/webp', 'application/pdf', 'application/json', 'application/zip', 'video/mp4', UNKNOWN_TYPE, 'application/xmlx']) {
			expect(isActiveType(type), type).toBe(false);
		}
	});
});

describe('sniffType', () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-sniff-'));
	afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
	const file = (name: string, bytes: string | Buffer) => {
		const p = path.join(dir, name);
		fs.writeFileSync(p, bytes);
		return p;
	};

	it('never keeps a type a browser could run: XML, SVG and XHTML the bytes show, Flash, declared scripts', async () => {
		const svg = file('a.svg', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
		const xhtml = file('a.xhtml', '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>');
		const swf = file('a.swf', Buffer.concat([Buffer.from('FWS\x08'), Buffer.alloc(32, 1)]));
		const bare = file('b.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
		expect(await sniffType(svg, 'image/svg+xml')).toBe(UNKNOWN_TYPE);
		expect(await sniffType(svg, undefined)).toBe(UNKNOWN_TYPE);
		expect(await sniffType(xhtml, 'application/xhtml+xml')).toBe(UNKNOWN_TYPE);
		expect(await sniffType(swf, 'application/octet-stream')).toBe(UNKNOWN_TYPE);
		expect(await sniffType(bare, 'image/svg+xml')).toBe(UNKNOWN_TYPE);
		for (const declared of ['application/x-javascript', 'text/x-javascript', 'application/x-ecmascript', 'text/jscript', 'multipart/x-mixed-replace', 'application/x-shockwave-flash', 'Text/HTML']) {
			expect(await sniffType(bare, declared), declared).toBe(UNKNOWN_TYPE);
		}
	});

	it('keeps what is harmless: the bytes first, else the declared type, lower-cased', async () => {
		const png = file('x.png', Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'));
		const text = file('x.txt', 'just words');
		expect(await sniffType(png, 'text/html')).toBe('image/png');
		expect(await sniffType(text, 'Text/CSV')).toBe('text/csv');
		expect(await sniffType(text, undefined)).toBe(UNKNOWN_TYPE);
	});
});
