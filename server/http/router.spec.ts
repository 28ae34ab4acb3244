import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, rateLimited } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Route } from './http.js';
import { createRouter } from './router.js';

/** A logger that remembers what it was told. */
function recordingLogger(lines: Array<[string, string, unknown]>): Logger {
	const logger: Logger = {
		debug: (m, e) => void lines.push(['debug', m, e]),
		info: (m, e) => void lines.push(['info', m, e]),
		warn: (m, e) => void lines.push(['warn', m, e]),
		error: (m, e) => void lines.push(['error', m, e]),
		child: () => logger,
		with: () => logger
	};
	return logger;
}

describe('createRouter', () => {
	const logged: Array<[string, string, unknown]> = [];
	let server: http.Server;
	let base: string;

	const routes: Route[] = [
		{ method: 'GET', path: '/healthz', handler: async () => ({ status: 200, body: { status: 'ok' } }) },
		{ method: 'POST', path: '/api/echo', handler: async (ctx) => ({ status: 200, body: { got: await ctx.json(), ip: ctx.ip, cookies: ctx.cookies } }) },
		{ method: 'GET', path: '/api/echo', handler: async (ctx) => ({ status: 200, body: { query: Object.fromEntries(ctx.url.searchParams) } }) },
		{
			method: 'GET',
			path: '/api/boom',
			handler: async () => {
				throw new Error('secret detail at /srv/parley/server/x.ts:12:3');
			}
		},
		{
			method: 'GET',
			path: '/api/slow-down',
			handler: async () => {
				throw rateLimited(12.3, 'easy');
			}
		},
		{
			method: 'GET',
			path: '/api/invalid',
			handler: async () => {
				throw new AppError('invalid_input', 'bad', { fields: { name: 'is required' } });
			}
		}
	];

	beforeAll(async () => {
		const handle = createRouter({ routes, trustProxy: true, log: recordingLogger(logged) });
		server = http.createServer((req, res) => {
			void handle(req, res).then((handled) => {
				if (!handled) res.writeHead(418).end('not mine');
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		await new Promise<void>((resolve) => server.close(() => resolve()));
	});

	it('dispatches by method and path', async () => {
		const get = await fetch(`${base}/api/echo?x=1`);
		expect(await get.json()).toEqual({ query: { x: '1' } });
		const post = await fetch(`${base}/api/echo`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', cookie: 'parley_session=abc', 'x-forwarded-for': '1.2.3.4' },
			body: '{"a":1}'
		});
		expect(await post.json()).toEqual({ got: { a: 1 }, ip: '1.2.3.4', cookies: { parley_session: 'abc' } });
	});

	it('leaves paths outside /api and /healthz to the caller', async () => {
		for (const path of ['/', '/login', '/apiary', '/api', '/healthz/x']) {
			const res = await fetch(base + path);
			expect(res.status, path).toBe(418);
		}
	});

	it('answers HEAD from the GET route, without a body', async () => {
		const res = await fetch(`${base}/healthz`, { method: 'HEAD' });
		expect(res.status).toBe(200);
		expect(await res.text()).toBe('');
	});

	it('404 not_found for an unknown /api path', async () => {
		const res = await fetch(`${base}/api/nothing`);
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no API route GET /api/nothing' } });
	});

	it('405 with Allow for a known path and another method', async () => {
		const res = await fetch(`${base}/api/boom`, { method: 'DELETE' });
		expect(res.status).toBe(405);
		expect(res.headers.get('allow')).toBe('GET');
		const both = await fetch(`${base}/api/echo`, { method: 'PUT' });
		expect(both.headers.get('allow')).toBe('POST, GET');
	});

	it('an AppError becomes its status and body, with fields', async () => {
		const res = await fetch(`${base}/api/invalid`);
		expect(res.status).toBe(400);
		expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: 'bad', fields: { name: 'is required' } } });
	});

	it('rate_limited carries Retry-After in whole seconds', async () => {
		const res = await fetch(`${base}/api/slow-down`);
		expect(res.status).toBe(429);
		expect(res.headers.get('retry-after')).toBe('13');
	});

	it('any other error is a logged 500 that tells the client nothing', async () => {
		const res = await fetch(`${base}/api/boom`);
		expect(res.status).toBe(500);
		const text = await res.text();
		expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'something went wrong on the server; it has been logged' } });
		expect(text).not.toContain('secret');
		expect(text).not.toContain('.ts');
		const entry = logged.find(([level, message]) => level === 'error' && message.includes('/api/boom'));
		expect(entry?.[2]).toBeInstanceOf(Error);
	});

	it('a client that aborts its request body is a debug line, not an error with a stack', async () => {
		const before = logged.length;
		const { port } = server.address() as AddressInfo;
		const socket = net.connect(port, '127.0.0.1');
		await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
		socket.write('POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":');
		// Let the server start reading the body before the client goes away.
		await new Promise((resolve) => setTimeout(resolve, 50));
		socket.destroy();
		await expect.poll(() => logged.slice(before).some(([, message]) => message.includes('/api/echo'))).toBe(true);
		const lines = logged.slice(before).filter(([, message]) => message.includes('/api/echo'));
		expect(lines).toEqual([['debug', 'POST /api/echo: the client aborted the request body', undefined]]);
	});

	it('405 answers with the contract\'s error body: method_not_allowed, the allowed methods named', async () => {
		const res = await fetch(`${base}/api/boom`, { method: 'DELETE' });
		expect(await res.json()).toEqual({ error: { code: 'method_not_allowed', message: 'DELETE is not allowed on /api/boom; use GET' } });
	});

	it('413 closes the connection instead of reading the rest', async () => {
		const res = await fetch(`${base}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `"${'x'.repeat(70_000)}"` });
		expect(res.status).toBe(413);
		expect(res.headers.get('connection')).toBe('close');
	});
});
