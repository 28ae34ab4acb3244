// A load generator process of the capacity scenario: opens idle connections to one server and holds
// them, answering the server's heartbeat and nothing else. Driven by its parent over IPC:
//   { type: 'open', target, count, tokens?, source, concurrency, timeoutMs }
//       opens `count` more connections from source address `source`; answers
//       { type: 'opened', ok, failed, failures: { stage: n }, errors: [first few], seconds }
//   { type: 'status' }  → { type: 'status', open, closed, pings, closeReasons: { reason: n } }
//   { type: 'drop' }    → closes every connection, answers { type: 'dropped' }
// Targets: `parley` (for each connection a chat ticket from POST /api/auth/chat-ticket with a seeded
// session's bearer token, then the socket.io connect with it, over bare engine.io: eio.ts), `socketio`
// (the same connect without a ticket, to a bare socket.io server) or `ws` (a plain WebSocket; the ws
// library answers ping frames itself). Exits when its parent goes away.
import http from 'node:http';
import WebSocket from 'ws';
import { connectSocketIo, type RawSocketIo } from './eio.js';

export type HoldTarget = { kind: 'parley'; url: string } | { kind: 'socketio'; url: string } | { kind: 'ws'; url: string };

export interface OpenRequest {
	type: 'open';
	target: HoldTarget;
	count: number;
	/** Parley: one seeded session's bearer token per connection (`count` of them). */
	tokens?: string[];
	/** The loopback source address to connect from. */
	source: string;
	/** Connections being opened at once. */
	concurrency: number;
	/** Per ticket request and per connect. */
	timeoutMs: number;
}

export interface OpenedReply {
	type: 'opened';
	ok: number;
	failed: number;
	failures: Record<string, number>;
	errors: string[];
	seconds: number;
}

export interface StatusReply {
	type: 'status';
	open: number;
	closed: number;
	pings: number;
	closeReasons: Record<string, number>;
}

interface Held {
	close(): void;
}

const held = new Set<Held>();
let closed = 0;
let wsPings = 0;
const closeReasons: Record<string, number> = {};
const raw: RawSocketIo[] = [];
/** Keep-alive connections for the ticket requests of one `open`, closed when it ends so the server holds only the WebSockets. */
let agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function lost(h: Held, reason: string): void {
	if (!held.delete(h)) return;
	closed++;
	closeReasons[reason] = (closeReasons[reason] ?? 0) + 1;
}

function ticket(url: string, token: string, timeoutMs: number): Promise<string> {
	return new Promise((resolve, reject) => {
		const req = http.request(`${url}/api/auth/chat-ticket`, { method: 'POST', agent, headers: { authorization: `Bearer ${token}` }, timeout: timeoutMs }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk) => (body += chunk));
			res.on('end', () => {
				if (res.statusCode !== 200) return reject(Object.assign(new Error(`chat-ticket answered ${res.statusCode}: ${body.slice(0, 200)}`), { stage: 'ticket' }));
				resolve((JSON.parse(body) as { chat: { ticket: string } }).chat.ticket);
			});
		});
		req.on('timeout', () => req.destroy(new Error(`chat-ticket: no answer within ${timeoutMs} ms`)));
		req.on('error', (error) => reject(Object.assign(error, { stage: 'ticket' })));
		req.end();
	});
}

/** A ticket, asked again once if the keep-alive connection was closed under the request (the server's keep-alive timeout racing its reuse), as any HTTP client would. */
async function ticketWithRetry(url: string, token: string, timeoutMs: number): Promise<string> {
	try {
		return await ticket(url, token, timeoutMs);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code !== 'ECONNRESET' && !/socket hang up/.test((error as Error).message)) throw error;
		return ticket(url, token, timeoutMs);
	}
}

async function openSocketIo(url: string, token: string | undefined, source: string, timeoutMs: number): Promise<void> {
	const auth = token === undefined ? {} : { ticket: await ticketWithRetry(url, token, timeoutMs) };
	const socket = await connectSocketIo({ url, auth, localAddress: source, timeoutMs });
	const h: Held = { close: () => socket.close() };
	held.add(h);
	raw.push(socket);
	socket.onClose((reason) => lost(h, reason));
}

function openWs(url: string, source: string, timeoutMs: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { localAddress: source, perMessageDeflate: false, handshakeTimeout: timeoutMs });
		const h: Held = { close: () => ws.close() };
		ws.once('open', () => {
			held.add(h);
			resolve();
		});
		ws.on('ping', () => wsPings++);
		ws.on('error', (error) => reject(Object.assign(error, { stage: 'websocket' })));
		ws.on('close', (code) => lost(h, `websocket closed (${code})`));
	});
}

async function open(request: OpenRequest): Promise<OpenedReply> {
	const start = performance.now();
	const failures: Record<string, number> = {};
	const errors: string[] = [];
	let ok = 0;
	let next = 0;
	const worker = async () => {
		while (next < request.count) {
			const i = next++;
			try {
				if (request.target.kind === 'parley') await openSocketIo(request.target.url, request.tokens![i], request.source, request.timeoutMs);
				else if (request.target.kind === 'socketio') await openSocketIo(request.target.url, undefined, request.source, request.timeoutMs);
				else await openWs(request.target.url, request.source, request.timeoutMs);
				ok++;
			} catch (error) {
				const stage = (error as { stage?: string }).stage ?? 'other';
				failures[stage] = (failures[stage] ?? 0) + 1;
				if (errors.length < 5) errors.push(`${stage}: ${(error as Error).message}`);
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(request.concurrency, request.count) }, worker));
	agent.destroy();
	agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
	const failed = Object.values(failures).reduce((a, b) => a + b, 0);
	return { type: 'opened', ok, failed, failures, errors, seconds: (performance.now() - start) / 1000 };
}

function status(): StatusReply {
	const pings = wsPings + raw.reduce((sum, s) => sum + s.pings, 0);
	return { type: 'status', open: held.size, closed, pings, closeReasons };
}

process.on('message', (message: { type: string }) => {
	if (message.type === 'open') void open(message as OpenRequest).then((reply) => process.send!(reply));
	else if (message.type === 'status') process.send!(status());
	else if (message.type === 'drop') {
		for (const h of [...held]) {
			h.close();
			lost(h, 'dropped');
		}
		raw.length = 0;
		process.send!({ type: 'dropped' });
	}
});
process.on('disconnect', () => process.exit(0));
