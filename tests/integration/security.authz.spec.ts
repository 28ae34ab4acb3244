import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_AUTHZ, SOCKET_AUTHZ, type AuthzRow } from '../../src/lib/protocol/authz.js';
import { ERROR_STATUS, type ClientToServerEvents } from '../../src/lib/protocol/index.js';
import { findWorkerBinary } from '../../server/media/worker-bin.js';
import { buildWorld, madeUpIds, normalized, PAYLOADS, worldIds, type AuthzWorld, type Ids } from '../helpers/authz.js';
import { backendNames } from '../helpers/backends.js';
import { Events, request, type Person } from '../helpers/chat.js';
import { metadataHeader, raw } from '../helpers/files.js';
import { mediaEnv } from '../helpers/media.js';
import { startParley, type TestParley } from '../helpers/parley.js';
import { snapshot } from '../helpers/snapshot.js';

type Event = keyof ClientToServerEvents;
const refused = (row: AuthzRow): row is AuthzRow & { outsider: keyof typeof ERROR_STATUS } => 'outsider' in row;
const MEDIA = /^(call|media|live):/;
const SOCKET_ROWS = (Object.entries(SOCKET_AUTHZ) as Array<[Event, AuthzRow]>).filter(([, row]) => refused(row));
const HTTP_ROWS = Object.entries(HTTP_AUTHZ);
// Calls and live streams need a mediasoup worker (CI has one: `npm run setup:media`).
const media = !('error' in findWorkerBinary({ configured: process.env.MEDIASOUP_WORKER_BIN })) || process.env.CI === 'true';

/** One HTTP call of the table with the ids filled in: tus headers and a body where the call wants them. */
function httpCall(key: string, ids: Ids): { method: string; path: string; headers: Record<string, string>; body?: string } {
	const [method, pattern] = key.split(' ');
	const path = pattern
		.replace(':uploadId', ids.upload)
		.replace(':fileId', ids.file)
		.replace(':avatarId', ids.avatar)
		.replace(':id', pattern.startsWith('/api/sessions/') ? ids.session : ids.file);
	const tus = { 'tus-resumable': '1.0.0' };
	if (key === 'POST /files/') return { method, path, headers: { ...tus, 'upload-length': '10', 'upload-metadata': metadataHeader({ filename: 'x.bin', threadId: ids.thread }) } };
	if (key === 'PATCH /files/:uploadId') return { method, path, headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: 'intruder' };
	if (method !== 'GET' && pattern.startsWith('/files/')) return { method, path, headers: tus };
	const json = { 'content-type': 'application/json' };
	// Wrong passwords only: were a session ever let through, nothing would be changed or deleted.
	if (key === 'DELETE /api/me') return { method, path, headers: json, body: JSON.stringify({ password: 'not the password' }) };
	if (key === 'POST /api/auth/password') return { method, path, headers: json, body: JSON.stringify({ currentPassword: 'not the password', newPassword: 'a new horse battery staple' }) };
	if (method === 'POST' || method === 'PATCH') return { method, path, headers: json, body: key === 'PATCH /api/me' ? '{"displayName":"Taken over"}' : '{}' };
	return { method, path, headers: {} };
}

async function call(t: TestParley, key: string, ids: Ids, token?: string) {
	const c = httpCall(key, ids);
	const res = await raw(t, c.method, c.path, { token, headers: c.headers, body: c.body });
	return { status: res.status, body: res.json ?? res.text };
}

describe.each(backendNames())('authorization matrix (%s)', (backend) => {
	let t: TestParley;
	let w: AuthzWorld;
	/** A session that signed out: its token, and a ticket it got before. */
	let gone: { token: string; ticket: string };

	beforeAll(async () => {
		t = await startParley(backend, { env: media ? mediaEnv(600_000) : {}, parley: { limits: { codesPerIp: 10_000 } } });
		w = await buildWorld(t, { media });
		const login = await t.signUp();
		const socket = await t.connectSocket(login.chat.ticket);
		const ended = new Events(socket, ['session:ended']);
		const spare = await t.request('POST', '/api/auth/chat-ticket', { token: login.token });
		expect((await t.request('POST', '/api/auth/logout', { token: login.token })).status).toBe(204);
		await ended.next('session:ended');
		gone = { token: login.token, ticket: spare.body.chat.ticket };
	}, 120_000);
	afterAll(async () => t?.stop());

	it('the tables cover every request and route the server has, and no more', async () => {
		const served = t.parley.routes.map((r) => `${r.method} ${r.path}`).sort();
		const listed = Object.keys(HTTP_AUTHZ).filter((k) => !k.split(' ')[1].startsWith('/files/')).sort();
		expect(served).toEqual(listed);
		// Every request of the protocol's listing has a row (tsc says so too; vitest does not typecheck).
		const listing = fs.readFileSync(new URL('../../src/lib/protocol/socket.ts', import.meta.url), 'utf8');
		const clientEvents = listing.slice(listing.indexOf('export interface CallsClientToServerEvents'));
		const names = new Set<string>();
		for (const block of clientEvents.split(/^export interface /m).filter((b) => /^\w*ClientToServerEvents/.test(b))) {
			for (const m of block.matchAll(/^\t'?([\w:]+)'?: \(payload/gm)) names.add(m[1]);
		}
		expect([...names].sort()).toEqual(Object.keys(SOCKET_AUTHZ).sort());
		// Every row names a request the node answers (a removed one would get "no request").
		for (const event of Object.keys(SOCKET_AUTHZ)) {
			if (!media && MEDIA.test(event)) continue;
			const ack = await request(w.stranger.socket, event, { notAField: 1 });
			expect(ack, event).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
		}
	});

	describe.each(['stranger', 'former'] as const)('as a %s', (actor) => {
		const rows = (calls: boolean) => SOCKET_ROWS.filter(([event]) => MEDIA.test(event) === calls);
		// Without a worker (outside CI) the calls' and streams' rows are skipped, and shown as skipped.
		it.each([...rows(false), ...(media ? rows(true) : [])])('%s: refused alike for an existing and a made-up id, nothing changed', async (event, row) => {
			const who: Person = w[actor];
			const before = await snapshot(t);
			const real = worldIds(w);
			const fake = madeUpIds(w);
			const answers: string[] = [];
			for (const ids of [real, fake]) {
				const payload = PAYLOADS[event](ids);
				const ack = await request(who.socket, event, payload);
				const context = `${event} ${JSON.stringify(payload)} -> ${JSON.stringify(ack)}`;
				expect(ack.ok, context).toBe(false);
				if (ack.ok) return;
				expect(ack.error.code, context).toBe((row as { outsider: string }).outsider);
				answers.push(normalized(ack, ids));
			}
			expect(answers[1], `an existing id and a made-up one get the same answer: ${answers.join(' vs ')}`).toBe(answers[0]);
			expect(await snapshot(t)).toEqual(before);
		});

		if (!media) it.skip.each(rows(true))('%s: skipped, no mediasoup worker here (npm run setup:media)', () => {});

		it.each(HTTP_ROWS.filter(([, r]) => refused(r.row)))('%s: 404 alike for an existing and a made-up id, nothing changed', async (key) => {
			const before = await snapshot(t);
			const token = w[actor].token;
			const real = worldIds(w);
			const fake = madeUpIds(w);
			const a = await call(t, key, real, token);
			const b = await call(t, key, fake, token);
			expect(a.status, `${key} ${JSON.stringify(a.body)}`).toBe(ERROR_STATUS[(HTTP_AUTHZ[key].row as { outsider: keyof typeof ERROR_STATUS }).outsider]);
			expect(b.status).toBe(a.status);
			if (!key.startsWith('HEAD')) expect(a.body).toMatchObject({ error: { code: 'not_found' } });
			expect(normalized(b.body, fake), `${JSON.stringify(a.body)} vs ${JSON.stringify(b.body)}`).toBe(normalized(a.body, real));
			expect(await snapshot(t)).toEqual(before);
		});
	});

	it.each(HTTP_ROWS.filter(([, r]) => r.auth === 'session'))('%s: 401 without a session and for a signed-out one', async (key) => {
		const before = await snapshot(t);
		for (const token of [undefined, gone.token, 'not-a-token']) {
			const res = await call(t, key, worldIds(w), token);
			expect(res.status, `${key} token ${token}`).toBe(401);
			if (!key.startsWith('HEAD')) expect(res.body).toMatchObject({ error: { code: 'unauthorized' } });
		}
		expect(await snapshot(t)).toEqual(before);
	});

	it('sockets: no ticket, a bad one, or one of a signed-out session fail the handshake with unauthorized', async () => {
		for (const ticket of [undefined, 'garbage', gone.ticket]) {
			const error = await t.connectSocket(ticket as string).then(
				() => null,
				(e: Error) => e
			);
			expect(error?.message, `ticket ${ticket}`).toBe('unauthorized');
		}
	});

	it('public rows answer anyone signed in and never with a bug', async () => {
		for (const [event, row] of Object.entries(SOCKET_AUTHZ) as Array<[Event, AuthzRow]>) {
			if (!('public' in row)) continue;
			for (const ids of [worldIds(w), madeUpIds(w)]) {
				const ack = await request(w.stranger.socket, event, PAYLOADS[event](ids));
				if (!ack.ok) expect(['not_found', 'invalid_input', 'forbidden', 'already_friends'], `${event} ${JSON.stringify(ack)}`).toContain(ack.error.code);
			}
		}
	});
});
