import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { HTTP_AUTHZ, SOCKET_AUTHZ } from '../../src/lib/protocol/authz.js';
import { ERROR_STATUS, type ClientToServerEvents } from '../../src/lib/protocol/index.js';
import { configureLogging } from '../../server/logger.js';
import { findWorkerBinary } from '../../server/media/worker-bin.js';
import { buildWorld, PAYLOADS, worldIds, type AuthzWorld } from '../helpers/authz.js';
import { backendNames } from '../helpers/backends.js';
import { request } from '../helpers/chat.js';
import { create, raw } from '../helpers/files.js';
import { hostilePayload, hostileString, PROTO_KEYS } from '../helpers/hostile.js';
import { mediaEnv } from '../helpers/media.js';
import { startParley, type TestParley } from '../helpers/parley.js';
import { snapshot } from '../helpers/snapshot.js';

// Issue 16: every socket request and HTTP call gets random and hostile payloads. Each answer must be a
// documented error (or a success, when a payload happens to be valid), never `internal`; nothing is
// logged as an error or with a stack; a refused request changes no row; the server stays up.
// On SQLite only: what is fuzzed here (the nesting bound, zod, the handlers' checks) runs before and
// apart from the database, which the authorization matrix and each feature's suite try on all three.
// FUZZ_RUNS sets the runs per request (default 12: about 1,300 requests, well under a minute).
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const media = !('error' in findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN })) || process.env.CI === 'true';
const STACK = /\n\s+at |\bat .+:\d+:\d+|\.(ts|js|mjs):\d+|node_modules/;
type Event = keyof ClientToServerEvents;

/** Checks one socket answer; returns whether it was a success. */
function checkAck(ack: unknown, context: string): boolean {
	const a = ack as { ok?: unknown; error?: { code?: unknown; message?: unknown; fields?: unknown } };
	expect(typeof a, context).toBe('object');
	if (a.ok === true) return true;
	expect(Object.keys(a).sort(), context).toEqual(['error', 'ok']);
	expect(a.ok, context).toBe(false);
	checkError(a.error, context);
	return false;
}

function checkError(error: { code?: unknown; message?: unknown; fields?: unknown } | undefined, context: string): void {
	expect(error, context).toBeDefined();
	const { code, message, fields } = error!;
	expect(Object.keys(error!).every((k) => ['code', 'message', 'fields'].includes(k)), context).toBe(true);
	expect(Object.hasOwn(ERROR_STATUS, code as string), `undocumented code: ${context}`).toBe(true);
	expect(code, context).not.toBe('internal');
	expect(typeof message === 'string' && message.length > 0, context).toBe(true);
	expect(message as string, context).not.toMatch(STACK);
	if (fields !== undefined) {
		expect(code, context).toBe('invalid_input');
		expect(Object.values(fields as object).every((v) => typeof v === 'string'), context).toBe(true);
	}
}

/** Whether any string in `value` (keys included) is not well-formed UTF-16: such a request is never accepted. */
function holdsLoneSurrogate(value: unknown): boolean {
	return /\\ud[89a-f][0-9a-f]{2}/i.test(JSON.stringify(value) ?? '');
}

/** Percent-encodes a string's UTF-8 bytes (a lone surrogate becomes U+FFFD's), as any client would. */
function encode(s: string): string {
	return [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
}

/** A header value fetch can send: latin-1 only, no line breaks. */
function headerValue(s: string): string {
	return s.replace(/[^\x20-\x7e\x80-\xff]/g, '?').slice(0, 4000);
}

const HTTP_BODIES: Record<string, Record<string, unknown>> = {
	'POST /api/auth/verification': { email: 'someone@example.test', purpose: 'register' },
	'POST /api/auth/password-check': { password: 'correct horse battery staple' },
	'POST /api/auth/register': { username: 'fuzzed', email: 'fuzzed@example.test', password: 'correct horse battery staple', code: '123456' },
	'POST /api/auth/password-reset': { email: 'someone@example.test', code: '123456', password: 'correct horse battery staple' },
	'POST /api/auth/login': { login: 'nobody', password: 'wrong password here' },
	'POST /api/auth/chat-ticket': {},
	'PATCH /api/me': { displayName: 'Fuzz' },
	// Wrong passwords (sign-up's is 'correct horse battery staple'), and asked as a throw-away account.
	'POST /api/auth/password': { currentPassword: 'not the password', newPassword: 'a new horse battery staple' },
	'DELETE /api/me': { password: 'not the password' }
};
/** Calls that change or delete the account or end its other sessions: fuzzed as a throw-away account. */
const THROWAWAY = new Set(['POST /api/auth/password', 'DELETE /api/me', 'POST /api/sessions/end-others']);
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/json; charset=utf-16', '', 'application/offset+octet-stream', 'multipart/form-data; boundary=x'];

describe.skipIf(!backendNames().includes('sqlite'))('fuzzing every request with hostile payloads (sqlite)', () => {
	let t: TestParley;
	let w: AuthzWorld;
	let realIds: string[];
	let throwaway: { token: string };
	let logged: string[];

	beforeAll(async () => {
		configureLogging({ level: 'warn' });
		t = await startParley('sqlite', {
			env: media ? mediaEnv(600_000) : {},
			parley: {
				limits: { codesPerIp: 100_000, availabilityPerIpPerMinute: 100_000, availabilityPerIpPerDay: 100_000, passwordCheckPerIpPerMinute: 100_000, passwordCheckPerIpPerDay: 100_000, loginFailuresPerIp: 100_000, loginFailuresPerAccountAndIp: 100_000 },
				chatLimits: { readsPerWindow: 100_000, groupChangesPerWindow: 100_000, searchesPerWindow: 100_000, sendsPerWindow: 100_000 }
			}
		});
		w = await buildWorld(t, { media });
		throwaway = await t.signUp();
		const own = await create(t, w.stranger.token, 50);
		const ids = worldIds(w);
		realIds = [...Object.values(ids).filter((v): v is string => typeof v === 'string'), own.headers.get('location')!.slice('/files/'.length), w.pair.id, w.member.user.id, w.stranger.user.id];
	}, 120_000);
	afterAll(async () => {
		configureLogging({ level: (process.env.TEST_LOG_LEVEL as 'error') ?? 'error' });
		await t?.stop();
	});

	// Everything the server writes to stderr and stdout while a request is fuzzed.
	beforeEach(() => {
		logged = [];
		for (const stream of [process.stderr, process.stdout]) {
			const write = stream.write.bind(stream);
			vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
				logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
				return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
			});
		}
	});
	afterEach(() => vi.restoreAllMocks());

	function checkLogs(context: string): void {
		const bad = logged.filter((line) => / ERROR /.test(line) || /\n\s+at /.test(line));
		expect(bad, context).toEqual([]);
	}

	const events = (Object.keys(SOCKET_AUTHZ) as Event[]).filter((e) => media || !/^(call|media|live):/.test(e));
	if (!media) it.skip('calls, media and live requests: skipped, no mediasoup worker here (npm run setup:media)', () => {});
	it.each(events)('%s: documented answers only, no stack, refusals change nothing', async (event) => {
		// A member of the group and a friend of the owner, so ids of the world get past the membership checks.
		// Calls and streams as the stranger: a member's valid call requests would start, join and end calls,
		// whose lines may be written after the answer, where a later refusal's row count would see them.
		const socket = /^(call|media|live):/.test(event) ? w.stranger.socket : w.member.socket;
		const valid = PAYLOADS[event](worldIds(w));
		let successes = 0;
		await fc.assert(
			fc.asyncProperty(hostilePayload(valid, realIds), async (payload) => {
				// socket.io closes a connection sent a packet over 256 KiB: a transport limit, not the protocol's.
				fc.pre((JSON.stringify(payload) ?? '').length < 200_000);
				const before = await snapshot(t);
				const ack = await request(socket, event, payload);
				const context = `${event} ${JSON.stringify(payload)?.slice(0, 300)} -> ${JSON.stringify(ack).slice(0, 300)}`;
				if (checkAck(ack, context)) {
					successes++;
					// Accepted only when well-formed: requests are strict objects, text well-formed Unicode.
					expect(holdsLoneSurrogate(payload), `accepted a lone surrogate: ${context}`).toBe(false);
					expect(PROTO_KEYS.some((k) => typeof payload === 'object' && payload !== null && Object.hasOwn(payload, k)), `accepted a prototype key: ${context}`).toBe(false);
				} else expect(await snapshot(t), `a refusal changed rows: ${context}`).toEqual(before);
				checkLogs(context);
			}),
			{ numRuns: RUNS }
		);
		expect(socket.connected).toBe(true);
		expect(successes).toBeLessThan(RUNS);
		expect(await request(socket, 'session:whoami', {})).toMatchObject({ ok: true });
	});

	it.each(Object.keys(HTTP_AUTHZ))('%s: documented answers only, no stack, refusals change nothing', async (key) => {
		const [method, pattern] = key.split(' ');
		// Logout with a real session would end it: that call is fuzzed without one.
		const token = key === 'POST /api/auth/logout' ? undefined : THROWAWAY.has(key) ? throwaway.token : w.stranger.token;
		const str = hostileString(realIds);
		const body = fc.oneof(
			hostilePayload(HTTP_BODIES[key] ?? {}, realIds).map((v) => JSON.stringify(v) ?? ''),
			fc.constantFrom('', '{', 'null', '[]', '\u0000', '{"a":1}{"b":2}'),
			fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1'))
		);
		const arb = fc.record({
			params: fc.array(str, { minLength: 3, maxLength: 3 }),
			query: fc.array(fc.tuple(str, str), { maxLength: 3 }),
			body,
			contentType: fc.constantFrom(...CONTENT_TYPES),
			tus: fc.record({ length: str, offset: str, metadata: fc.array(fc.tuple(str, str), { maxLength: 3 }) })
		});
		await fc.assert(
			fc.asyncProperty(arb, async (input) => {
				let i = 0;
				// Within Node's 16 KiB for the request line and headers (a longer one is the next test's).
				const path = pattern.replace(/:[a-zA-Z]+/g, () => encode(input.params[i++].slice(0, 300)));
				const query = input.query.length ? '?' + input.query.map(([k, v]) => `${encode(k.slice(0, 300))}=${encode(v.slice(0, 300))}`).join('&') : '';
				const headers: Record<string, string> = {};
				if (input.contentType) headers['content-type'] = input.contentType;
				if (pattern.startsWith('/files/') && method !== 'GET') {
					Object.assign(headers, {
						'tus-resumable': '1.0.0',
						'upload-length': headerValue(input.tus.length),
						'upload-offset': headerValue(input.tus.offset),
						'upload-metadata': headerValue(input.tus.metadata.map(([k, v]) => `${k.slice(0, 300)} ${Buffer.from(v.slice(0, 300)).toString('base64')}`).join(','))
					});
				}
				const sendsBody = method !== 'GET' && method !== 'HEAD';
				const before = await snapshot(t);
				const res = await raw(t, method, path + query, { token, headers, body: sendsBody ? input.body : undefined });
				const context = `${method} ${(path + query).slice(0, 200)} ${JSON.stringify(headers).slice(0, 200)} ${JSON.stringify(input.body).slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`;
				expect(res.status, context).toBeLessThan(500);
				if (res.status >= 400) {
					if (method !== 'HEAD') {
						expect(Object.keys(res.json ?? {}), context).toEqual(['error']);
						checkError(res.json.error, context);
						expect(ERROR_STATUS[res.json.error.code as keyof typeof ERROR_STATUS], context).toBe(res.status);
					}
					expect(await snapshot(t), `a refusal changed rows: ${context}`).toEqual(before);
				}
				checkLogs(context);
			}),
			{ numRuns: RUNS }
		);
		expect((await raw(t, 'GET', '/healthz')).status).toBe(200);
	});

	it('a request line and headers over 16 KiB get Node\'s bare 431 (a transport limit, below the protocol); the server stays up', async () => {
		const res = await raw(t, 'GET', `/api/files?q=${'a'.repeat(20_000)}`, { token: w.stranger.token });
		expect(res.status).toBe(431);
		expect((await raw(t, 'GET', '/api/me', { token: w.stranger.token })).status).toBe(200);
	});
});
