import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { chatServerOptions, forgetUpgradeRequests } from './engine.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Full collections until `ref` is cleared or 10 rounds found it still held (WeakRefs clear only between tasks). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
	for (let i = 0; i < 10 && ref.deref() !== undefined; i++) {
		await new Promise((resolve) => setImmediate(resolve));
		gc();
	}
	return ref.deref() === undefined;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
	for (const close of closers.splice(0)) await close();
});

/**
 * A real socket.io server on the chat node's options (with `forgetUpgradeRequests` or without), one
 * real client over `transport`, and a weak reference to the HTTP request its connection was opened
 * with; the server acks `echo`.
 */
async function connectOnce(options: { forget: boolean; transport: 'websocket' | 'polling' }) {
	const server = http.createServer();
	const io = new Server(server, chatServerOptions([]));
	let request: WeakRef<IncomingMessage> | undefined;
	// Before forgetUpgradeRequests' own listener, which lets go of it.
	io.engine.on('connection', (raw: { request: IncomingMessage }) => (request = new WeakRef(raw.request)));
	if (options.forget) forgetUpgradeRequests(io);
	io.on('connection', (socket) => socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack({ value, headers: socket.handshake.headers })));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const client: ClientSocket = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { transports: [options.transport], reconnection: false, forceNew: true });
	closers.push(async () => {
		client.close();
		await new Promise<void>((resolve) => io.close(() => resolve()));
	});
	await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('connect_error', reject));
	return { client, request: request! };
}

describe('forgetUpgradeRequests', () => {
	it('without it, engine.io keeps a WebSocket connection\'s upgrade request as long as the connection (what the function is for)', async () => {
		const { client, request } = await connectOnce({ forget: false, transport: 'websocket' });
		expect(await collected(request)).toBe(false);
		expect(client.connected).toBe(true);
	});

	it.each(['websocket', 'polling'] as const)('over %s, the request is collected while the connection is open and keeps working', async (transport) => {
		const { client, request } = await connectOnce({ forget: true, transport });
		expect(await collected(request)).toBe(true);
		// The handshake no longer carries the request's headers; the connection still answers.
		expect(await client.timeout(5_000).emitWithAck('echo', 'still here')).toEqual({ value: 'still here', headers: {} });
	});
});
