import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../helpers/assert.js';
import { backendNames } from '../helpers/backends.js';
import { startParley, uniqueName, type TestParley } from '../helpers/parley.js';

const KIB_64 = 64 * 1024;

/**
 * A request through node:http, for what fetch will not send (a body that streams without a length, a
 * body on a request the server refuses early). Resolves with the answer, or with the socket error if
 * the server hangs up first.
 */
function rawRequest(
	baseUrl: string,
	options: { method: string; path: string; headers?: Record<string, string | number>; chunks?: Buffer[] }
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request(baseUrl + options.path, { method: options.method, headers: options.headers, agent: false }, (res) => {
			const parts: Buffer[] = [];
			res.on('data', (c: Buffer) => parts.push(c));
			res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }));
			res.on('error', reject);
		});
		req.on('error', reject);
		for (const chunk of options.chunks ?? []) req.write(chunk);
		req.end();
	});
}

/** The parts of a raw answer `expectError` checks. */
function asResponse(raw: { status: number; headers: http.IncomingHttpHeaders; text: string }) {
	const headers = new Headers();
	for (const [k, v] of Object.entries(raw.headers)) if (typeof v === 'string') headers.set(k, v);
	return { status: raw.status, headers, body: JSON.parse(raw.text) as unknown };
}

// The HTTP edge: PROTOCOL.md's conventions for every /api call.
describe.each(backendNames())('HTTP edge on %s', (backend) => {
	let t: TestParley;

	beforeAll(async () => {
		t = await startParley(backend, { parley: { limits: { codesPerIp: 1000 } } });
	});
	afterAll(async () => t?.stop());

	describe('GET /healthz', () => {
		it('200 {status: "ok", nodeId, roles}', async () => {
			const res = await t.request('GET', '/healthz');
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toMatch(/^application\/json/);
			// The contract's three fields; roles may add their own (media reports whether calls work).
			expect(res.body).toMatchObject({ status: 'ok', nodeId: `test-${backend}`, roles: expect.arrayContaining(['gateway', 'chat']) });
			expect(Object.keys(res.body)).toEqual(expect.arrayContaining(['status', 'nodeId', 'roles']));
		});

		it('HEAD answers 200 with no body', async () => {
			const res = await t.request('HEAD', '/healthz');
			expect(res.status).toBe(200);
			expect(res.body).toBeUndefined();
		});

		it('needs no session', async () => {
			expect((await t.request('GET', '/healthz', { token: 'garbage' })).status).toBe(200);
		});
	});

	describe('413 for bodies over 64 KiB', () => {
		const verification = (size: number) => {
			// Valid JSON padded with spaces to exactly `size` bytes.
			const json = JSON.stringify({ email: `${uniqueName('big')}@example.test`, purpose: 'register' });
			return json + ' '.repeat(size - Buffer.byteLength(json));
		};

		it('refuses a declared length over 64 KiB with 413 payload_too_large', async () => {
			const res = await t.request('POST', '/api/auth/verification', { raw: verification(KIB_64 + 1), headers: { 'content-type': 'application/json' } });
			expectError(res, 413, 'payload_too_large');
		});

		it('refuses a streamed body without a length once it passes 64 KiB', async () => {
			const chunk = Buffer.alloc(16 * 1024, ' ');
			const raw = await rawRequest(t.baseUrl, {
				method: 'POST',
				path: '/api/auth/login',
				headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
				chunks: [Buffer.from('{"login":"x","password":"'), ...Array.from({ length: 5 }, () => chunk)]
			});
			expectError(asResponse(raw), 413, 'payload_too_large');
		});

		it('refuses a 1 MiB body on every POST route', async () => {
			for (const path of ['/api/auth/verification', '/api/auth/register', '/api/auth/password-reset', '/api/auth/login']) {
				const res = await t.request('POST', path, { body: { padding: 'x'.repeat(1024 * 1024) } });
				expectError(res, 413, 'payload_too_large');
			}
		});

		it('takes a body of exactly 64 KiB', async () => {
			const res = await t.request('POST', '/api/auth/verification', { raw: verification(KIB_64), headers: { 'content-type': 'application/json' } });
			expect(res.status).toBe(202);
		});

		it('the server keeps serving after refusing', async () => {
			await t.request('POST', '/api/auth/login', { body: { login: 'x'.repeat(2 * KIB_64), password: 'y' } });
			expect((await t.request('GET', '/healthz')).status).toBe(200);
		});
	});

	describe('malformed and unexpected bodies', () => {
		it.each([
			['truncated JSON', '{"login": "a", "password":'],
			['a trailing comma', '{"login": "a", "password": "b",}'],
			['single quotes', "{'login': 'a'}"],
			['plain text', 'login=a&password=b'],
			['a lone brace', '{'],
			['an invalid escape', '{"login": "\\x41", "password": "b"}'],
			['a NUL byte', '\u0000']
		])('400 invalid_input for %s', async (_label, raw) => {
			const res = await t.request('POST', '/api/auth/login', { raw, headers: { 'content-type': 'application/json' } });
			expectError(res, 400, 'invalid_input');
		});

		it.each([
			['an array', '[]'],
			['null', 'null'],
			['a string', '"login"'],
			['a number', '7'],
			['true', 'true'],
			['deeply nested arrays', `${'['.repeat(10_000)}${']'.repeat(10_000)}`]
		])('400 invalid_input for %s where an object belongs', async (_label, raw) => {
			const res = await t.request('POST', '/api/auth/login', { raw, headers: { 'content-type': 'application/json' } });
			expectError(res, 400, 'invalid_input');
		});

		it('415 unsupported_media_type for a body that is not declared JSON', async () => {
			const body = JSON.stringify({ login: 'a', password: 'b' });
			for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
				const res = await t.request('POST', '/api/auth/login', { raw: body, headers: { 'content-type': type } });
				expectError(res, 415, 'unsupported_media_type');
			}
		});

		it('takes application/json with a charset', async () => {
			const email = `${uniqueName('cs')}@example.test`;
			const res = await t.request('POST', '/api/auth/verification', {
				raw: JSON.stringify({ email, purpose: 'register' }),
				headers: { 'content-type': 'Application/JSON; charset=utf-8' }
			});
			expect(res.status).toBe(202);
		});

		it('names __proto__ and constructor as unknown fields, and pollutes nothing', async () => {
			for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
				const raw = `{"login": "a", "password": "b", "${key}": {"isAdmin": true}}`;
				const res = await t.request('POST', '/api/auth/login', { raw, headers: { 'content-type': 'application/json' } });
				expectError(res, 400, 'invalid_input', { fields: [key] });
			}
			expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
			expect((await t.request('GET', '/healthz')).status).toBe(200);
		});
	});

	// PROTOCOL.md Conventions: text is Unicode; control characters are C0, DEL and C1.
	describe('text: UTF-8 bodies, well-formed strings, control characters', () => {
		const json = { 'content-type': 'application/json' };
		const profileOf = async (token: string) => (await t.request('GET', '/api/me', { token })).body.user;

		it.each([
			['U+0085 (NEXT LINE)', '\u0085'],
			['U+0080', '\u0080'],
			['U+009F', '\u009f'],
			['U+001B (ESC)', '\u001b']
		])('a displayName or bio with %s is 400 naming the field, and nothing changes', async (_label, c) => {
			const { token, user } = await t.signUp({ displayName: 'Before' });
			expectError(await t.request('PATCH', '/api/me', { token, body: { displayName: `a${c}b` } }), 400, 'invalid_input', { fields: ['displayName'] });
			expectError(await t.request('PATCH', '/api/me', { token, body: { bio: `line${c}line` } }), 400, 'invalid_input', { fields: ['bio'] });
			expect(await profileOf(token)).toEqual({ ...user, displayName: 'Before', bio: '' });
			const email = `${uniqueName('c1')}@example.test`;
			const before = t.smtp.mails.length;
			expect((await t.request('POST', '/api/auth/verification', { body: { email, purpose: 'register' } })).status).toBe(202);
			const code = await t.smtp.codeFor(email, before);
			const register = await t.request('POST', '/api/auth/register', { body: { username: uniqueName(), email, password: 'long enough pw', code, displayName: `x${c}y` } });
			expectError(register, 400, 'invalid_input', { fields: ['displayName'] });
		});

		it('a bio keeps tabs and line breaks (C0 ones it allows)', async () => {
			const { token } = await t.signUp();
			const res = await t.request('PATCH', '/api/me', { token, body: { bio: 'a\tb\r\nc' } });
			expect(res.status).toBe(200);
			expect(res.body.user.bio).toBe('a\tb\r\nc');
		});

		it.each([
			['a high surrogate alone', '{"displayName": "a\\ud800b"}', 'displayName'],
			['a low surrogate alone', '{"bio": "\\udc00"}', 'bio'],
			['a surrogate pair reversed', '{"bio": "\\udc00\\ud800"}', 'bio']
		])('a lone surrogate (%s) is 400 naming the field, not stored as U+FFFD', async (_label, raw, field) => {
			const { token, user } = await t.signUp({ displayName: 'Before' });
			const res = await t.request('PATCH', '/api/me', { token, raw, headers: json });
			const error = expectError(res, 400, 'invalid_input', { fields: [field] });
			expect(error.fields![field]).toMatch(/not valid Unicode/);
			expect(await profileOf(token)).toEqual({ ...user, displayName: 'Before', bio: '' });
		});

		it('a well-formed pair written as escapes is kept', async () => {
			const { token } = await t.signUp();
			const res = await t.request('PATCH', '/api/me', { token, raw: '{"bio": "\\ud83d\\ude00"}', headers: json });
			expect(res.status).toBe(200);
			expect(res.body.user.bio).toBe('😀');
		});

		it.each([
			['a byte that is never UTF-8', [0xff]],
			['a truncated sequence', [0xc3]],
			['an encoded surrogate', [0xed, 0xa0, 0x80]],
			['an overlong encoding', [0xc0, 0xaf]]
		])('a body with %s is 400 "not valid UTF-8", and nothing changes', async (_label, bytes) => {
			const { token, user } = await t.signUp({ displayName: 'Before' });
			const body = Buffer.concat([Buffer.from('{"displayName": "a'), Buffer.from(bytes), Buffer.from('b"}')]);
			const res = asResponse(
				await rawRequest(t.baseUrl, { method: 'PATCH', path: '/api/me', headers: { ...json, authorization: `Bearer ${token}`, 'content-length': body.length }, chunks: [body] })
			);
			const error = expectError(res, 400, 'invalid_input');
			expect(error.message).toBe('the request body is not valid UTF-8');
			expect(await profileOf(token)).toEqual({ ...user, displayName: 'Before', bio: '' });
		});
	});

	describe('missing and wrong-typed fields', () => {
		it.each([
			['a number', { login: 42, password: 'pw' }, 'login'],
			['an array', { login: 'someone', password: ['pw'] }, 'password'],
			['null', { login: null, password: 'pw' }, 'login'],
			['an object', { login: { $ne: '' }, password: 'pw' }, 'login']
		])('a field of the wrong type (%s) is not called missing', async (_label, body, field) => {
			const error = expectError(await t.request('POST', '/api/auth/login', { body }), 400, 'invalid_input', { fields: [field] });
			expect(error.fields![field]).not.toBe('is required');
			expect(error.fields![field]).toMatch(/expected string/);
		});

		it('a missing field is "is required"', async () => {
			const error = expectError(await t.request('POST', '/api/auth/login', { body: { login: 'someone' } }), 400, 'invalid_input', { fields: ['password'] });
			expect(error.fields).toEqual({ password: 'is required' });
		});
	});

	describe('unknown routes and methods', () => {
		it.each(['/api/nope', '/api/auth', '/api/auth/', '/api/auth/login/extra', '/api/ME', '/api/me/'])('404 not_found as JSON for GET %s', async (path) => {
			expectError(await t.request('GET', path), 404, 'not_found');
		});

		it('404 for an unknown POST under /api, with a JSON body or not', async () => {
			expectError(await t.request('POST', '/api/auth/signup', { body: { a: 1 } }), 404, 'not_found');
		});

		it.each([
			['GET', '/api/auth/login', 'POST'],
			['PUT', '/api/auth/register', 'POST'],
			['DELETE', '/api/auth/logout', 'POST'],
			['POST', '/api/me', 'GET'],
			['POST', '/api/auth/availability', 'GET'],
			['PATCH', '/api/auth/verification', 'POST']
		])('405 with Allow for %s %s', async (method, path, allowed) => {
			const res = await t.request(method, path);
			expect(res.status).toBe(405);
			expect(res.headers.get('allow')).toContain(allowed);
			expect(Object.keys(res.body)).toEqual(['error']);
			expect(res.body.error.code).toBe('method_not_allowed');
			expect(res.body.error.message).toEqual(expect.any(String));
		});

		it('paths outside /api are not answered as API errors', async () => {
			const res = await t.request('GET', '/definitely-not-a-page');
			expect(res.status).toBe(404);
			expect(res.headers.get('content-type')).not.toMatch(/json/);
		});

		it('ignores a query string when routing', async () => {
			expect((await t.request('GET', '/healthz?probe=1')).status).toBe(200);
		});
	});

	describe('every answer', () => {
		it('is marked not to be cached', async () => {
			const { token } = await t.signUp();
			for (const res of [await t.request('GET', '/api/me', { token }), await t.request('GET', '/api/me'), await t.request('GET', '/healthz')]) {
				expect(res.headers.get('cache-control')).toBe('no-store');
			}
		});

		it('error bodies never carry a stack trace, whatever goes wrong', async () => {
			const answers = [
				await t.request('POST', '/api/auth/login', { raw: '{', headers: { 'content-type': 'application/json' } }),
				await t.request('POST', '/api/auth/login', { body: { login: 1 } }),
				await t.request('POST', '/api/auth/register', { body: { username: 'a' } }),
				await t.request('GET', '/api/me'),
				await t.request('GET', '/api/nope'),
				await t.request('POST', '/api/auth/login', { raw: 'x', headers: { 'content-type': 'text/plain' } })
			];
			for (const res of answers) {
				expect(res.status).toBeGreaterThanOrEqual(400);
				expect(res.status).toBeLessThan(500);
				expect(JSON.stringify(res.body)).not.toMatch(/\bat .+:\d+:\d+|\.ts:\d+|node_modules|Error:/);
			}
		});
	});
});

// Cookie and chat URL follow PUBLIC_URL; the gateway's routes follow ROLES. Nothing here depends on
// the database, so SQLite stands for all three.
describe('PUBLIC_URL and ROLES (on sqlite)', () => {
	it('an https PUBLIC_URL makes the cookie Secure and is the chat URL', async () => {
		const t = await startParley('sqlite', { env: { PUBLIC_URL: 'https://chat.example.test/' } });
		try {
			const { user, password } = await t.signUp();
			const res = await t.request('POST', '/api/auth/login', { body: { login: user.username, password } });
			expect(res.headers.get('set-cookie')).toMatch(/; Secure$/);
			expect(res.body.chat.url).toBe('https://chat.example.test');
			const logout = await t.request('POST', '/api/auth/logout', { token: res.body.token });
			expect(logout.headers.get('set-cookie')).toMatch(/Max-Age=0; Secure$/);
		} finally {
			await t.stop();
		}
	});

	it('a node without the gateway role has no /api/auth routes', async () => {
		const t = await startParley('sqlite', { env: { ROLES: 'chat' } });
		try {
			expect((await t.request('GET', '/healthz')).body.roles).toEqual(['chat']);
			expectError(await t.request('POST', '/api/auth/login', { body: { login: 'a', password: 'b' } }), 404, 'not_found');
			expectError(await t.request('GET', '/api/me'), 404, 'not_found');
		} finally {
			await t.stop();
		}
	});
});
