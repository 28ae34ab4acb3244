import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { download, upload } from '../helpers/files.js';
import { startParley, type TestParley } from '../helpers/parley.js';

// Headers, not storage: the first backend is enough.
const backend = backendNames()[0]!;

/**
 * Stands in for the built web app (the integration tests run without a build): it answers as
 * adapter-node does, a page with SvelteKit's policy set through setHeader, then writeHead; a static
 * asset as sirv does, its headers in writeHead. The real pages are checked in tests/e2e/csp.spec.ts.
 */
const PAGE_CSP = "default-src 'self'; script-src 'self' 'nonce-abc'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'";
function web(req: IncomingMessage, res: ServerResponse, next: () => void): void {
	if (req.url?.startsWith('/_app/')) {
		res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'public,max-age=31536000,immutable' }).end('export {};\n');
	} else if (req.url === '/' || req.url?.startsWith('/app')) {
		res.setHeader('content-type', 'text/html');
		res.setHeader('content-security-policy', PAGE_CSP);
		res.writeHead(200).end('<!doctype html><title>Parley</title>');
	} else next();
}

const COMMON = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin' };
const BASELINE = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function expectCommon(headers: Headers, what: string): void {
	for (const [name, value] of Object.entries(COMMON)) expect(headers.get(name), `${name} on ${what}`).toBe(value);
}

describe(`security headers on ${backend}`, () => {
	let t: TestParley;
	let https: TestParley;
	let token: string;
	beforeAll(async () => {
		[t, https] = await Promise.all([
			startParley(backend, { parley: { web }, env: { CHAT_ORIGINS: 'https://*.chat.example.test,http://127.0.0.1:*' } }),
			startParley(backend, { parley: { web }, env: { PUBLIC_URL: 'https://chat.example.test' } })
		]);
		token = (await t.signUp()).token;
	});
	afterAll(async () => Promise.all([t?.stop(), https?.stop()]));

	it('a page: the common headers, and its own policy with the chat origins added to connect-src', async () => {
		const res = await fetch(`${t.baseUrl}/app`);
		expect(res.status).toBe(200);
		expectCommon(res.headers, 'a page');
		expect(res.headers.get('content-security-policy')).toBe(
			"default-src 'self'; script-src 'self' 'nonce-abc'; connect-src 'self' https://*.chat.example.test wss://*.chat.example.test http://127.0.0.1:* ws://127.0.0.1:*; object-src 'none'; frame-ancestors 'none'"
		);
		expect(res.headers.has('strict-transport-security')).toBe(false);
	});

	it('a static asset, /api (answers and errors), /healthz, a 404: the common headers and the baseline policy', async () => {
		for (const [path, status] of [
			['/_app/immutable/entry/start.js', 200],
			['/api/me', 401],
			['/api/no-such-call', 404],
			['/healthz', 200],
			['/no/such/page', 404]
		] as const) {
			const res = await fetch(t.baseUrl + path);
			expect(res.status, path).toBe(status);
			expectCommon(res.headers, path);
			expect(res.headers.get('content-security-policy'), path).toBe(BASELINE);
		}
		const me = await t.request('GET', '/api/me', { token });
		expect(me.status).toBe(200);
		expectCommon(me.headers, 'GET /api/me');
	});

	it('/files: tus answers carry the baseline; a download keeps its own sandboxing policy', async () => {
		const created = await fetch(`${t.baseUrl}/files/`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-length': '3', 'upload-metadata': 'filename YS50eHQ=' } });
		expect(created.status).toBe(201);
		expectCommon(created.headers, 'POST /files/');
		expect(created.headers.get('content-security-policy')).toBe(BASELINE);

		const { fileId } = await upload(t, token, Buffer.from('<html><script>alert(1)</script>'), { filename: 'x.html' });
		const file = await download(t, token, fileId);
		expect(file.status).toBe(200);
		expectCommon(file.headers, 'a download');
		expect(file.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
	});

	it("the chat socket's polling answers carry the common headers", async () => {
		const res = await fetch(`${t.baseUrl}/socket.io/?EIO=4&transport=polling`);
		expect(res.status).toBe(200);
		expectCommon(res.headers, 'socket.io polling');
	});

	it('HSTS exactly when PUBLIC_URL is https, on every kind of answer', async () => {
		for (const path of ['/app', '/_app/immutable/entry/start.js', '/api/me', '/healthz', '/socket.io/?EIO=4&transport=polling']) {
			const res = await fetch(https.baseUrl + path);
			expect(res.headers.get('strict-transport-security'), path).toBe('max-age=31536000; includeSubDomains');
			expectCommon(res.headers, path);
			const plain = await fetch(t.baseUrl + path);
			expect(plain.headers.has('strict-transport-security'), path).toBe(false);
		}
		// Without CHAT_ORIGINS a page's policy is SvelteKit's as it is.
		expect((await fetch(`${https.baseUrl}/app`)).headers.get('content-security-policy')).toBe(PAGE_CSP);
	});
});
