import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { ok } from '../helpers/chat.js';
import { startParley, type ClientSocket, type TestParley } from '../helpers/parley.js';

const EVIL = 'https://evil.example';

/** A bare WebSocket handshake to the chat socket; resolves to the status (101 when upgraded). */
function upgrade(baseUrl: string, origin?: string): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request(`${baseUrl}/socket.io/?EIO=4&transport=websocket`, {
			headers: {
				connection: 'Upgrade',
				upgrade: 'websocket',
				'sec-websocket-key': randomBytes(16).toString('base64'),
				'sec-websocket-version': '13',
				...(origin === undefined ? {} : { origin })
			}
		});
		req.once('upgrade', (res, socket) => {
			socket.destroy();
			resolve({ status: res.statusCode ?? 0, body: '' });
		});
		req.once('response', (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (c: string) => (body += c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
		});
		req.once('error', reject);
		req.setTimeout(10_000, () => req.destroy(new Error('no answer to the upgrade')));
		req.end();
	});
}

/** The first polling request of engine.io (the handshake), with the given Origin. */
async function pollingHandshake(baseUrl: string, origin: string): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		http
			.get(`${baseUrl}/socket.io/?EIO=4&transport=polling`, { headers: { origin } }, (res) => {
				let body = '';
				res.setEncoding('utf8');
				res.on('data', (c: string) => (body += c));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
			})
			.once('error', reject);
	});
}

/** socket.io-client as a browser page of `origin` would open it; resolves to the socket or the connect error. */
function socketFrom(baseUrl: string, ticket: string, origin: string): Promise<ClientSocket | Error> {
	const socket: ClientSocket = connect(baseUrl, { auth: { ticket }, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin } });
	return new Promise((resolve) => {
		socket.once('connect', () => resolve(socket));
		socket.once('connect_error', (error) => {
			socket.close();
			resolve(error);
		});
	});
}

// Issue 10, item 4: the chat socket took a WebSocket from any Origin (CORS_ORIGINS only shaped the
// polling transport's headers). Now every new connection's Origin must be one of CORS_ORIGINS, or absent.
describe.each(backendNames())('chat socket Origin check on %s', (backend) => {
	describe('default CORS_ORIGINS (the origin of PUBLIC_URL)', () => {
		let t: TestParley;
		beforeAll(async () => {
			t = await startParley(backend);
		});
		afterAll(async () => t?.stop());

		// engine.io answers every refused upgrade `400 Bad Request`, with the reason as the body.
		it(`a WebSocket upgrade from ${EVIL} is refused, naming the origin; from PUBLIC_URL's origin or without Origin it is upgraded`, async () => {
			const evil = await upgrade(t.baseUrl, EVIL);
			expect(evil).toEqual({ status: 400, body: 'origin https://evil.example may not open the chat socket (CORS_ORIGINS)' });
			expect((await upgrade(t.baseUrl, 'null')).status).toBe(400);
			expect((await upgrade(t.baseUrl, t.baseUrl)).status).toBe(101);
			expect((await upgrade(t.baseUrl)).status).toBe(101);
		});

		it('the polling handshake is refused the same way, naming the origin', async () => {
			const refused = await pollingHandshake(t.baseUrl, EVIL);
			expect(refused.status).toBe(403);
			expect(refused.body).toContain('origin https://evil.example may not open the chat socket');
			expect((await pollingHandshake(t.baseUrl, t.baseUrl)).status).toBe(200);
		});

		it('a client with a valid ticket is refused from another origin without spending the ticket, and served from its own', async () => {
			const login = await t.signUp();
			const refused = await socketFrom(t.baseUrl, login.chat.ticket, EVIL);
			expect(refused).toBeInstanceOf(Error);
			const socket = await socketFrom(t.baseUrl, login.chat.ticket, t.baseUrl);
			if (socket instanceof Error) throw socket;
			try {
				expect((await ok(socket, 'session:whoami')).userId).toBe(login.user.id);
			} finally {
				socket.close();
			}
		});
	});

	describe('CORS_ORIGINS set', () => {
		let t: TestParley;
		beforeAll(async () => {
			t = await startParley(backend, { env: { CORS_ORIGINS: 'https://app.example.test, http://localhost:5173' } });
		});
		afterAll(async () => t?.stop());

		it('allows exactly the listed origins', async () => {
			expect((await upgrade(t.baseUrl, 'https://app.example.test')).status).toBe(101);
			expect((await upgrade(t.baseUrl, 'http://localhost:5173')).status).toBe(101);
			expect((await upgrade(t.baseUrl, t.baseUrl)).status).toBe(400);
			expect((await upgrade(t.baseUrl, 'https://app.example.test:444')).status).toBe(400);
		});
	});
});
