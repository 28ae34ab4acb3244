import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Server, ServerOptions } from 'socket.io';
import { allowOrigins } from './origin.js';

/**
 * socket.io's `Server` options for the chat node; bench/lib/sio-hold-server.ts builds its baseline
 * with the same ones, so the capacity benchmark's "socket.io alone" is the stack Parley runs on.
 */
export function chatServerOptions(corsOrigins: readonly string[]): Partial<ServerOptions> {
	return {
		serveClient: false,
		// Chat payloads are small JSON; compressing each costs more CPU than it saves.
		perMessageDeflate: false,
		maxHttpBufferSize: 256 * 1024,
		pingInterval: 20_000,
		pingTimeout: 20_000,
		// Browsers load the app from the gateway, which may be another origin than this chat node.
		cors: { origin: [...corsOrigins], credentials: true },
		// `cors` only shapes polling's headers; this refuses other origins' WebSockets too.
		allowRequest: allowOrigins(corsOrigins)
	};
}

/** Where `forgetUpgradeRequests` leaves an upgrade's response object on its request. */
const UPGRADE_RESPONSE = Symbol('upgrade response');

/**
 * Lets go of the HTTP request each connection was opened with, once it is connected. engine.io keeps
 * it for the life of the connection twice: as `socket.request` (for middleware such as
 * express-session), and through the stand-in response it makes for a WebSocket upgrade
 * (`WebSocketResponse.req`), which a `close` listener on the TCP socket holds until the connection
 * ends; so socket.io's own advice (`rawSocket.request = null`) alone frees nothing. Parley reads
 * nothing of the request once the Origin check (`allowRequest`) has run, and the request, its headers
 * and raw header strings cost every idle connection about 1 KiB of heap, more with a browser's
 * cookies and user agent (docs/BENCHMARKS.md, capacity). So `socket.handshake` has no `headers`,
 * `url` or `query`. tests/integration/chat.engine.test.ts proves the request is collected.
 */
export function forgetUpgradeRequests(io: Pick<Server, 'engine'>): void {
	// Runs for every engine.io request; only the upgrade's `res` is engine.io's stand-in (a polling
	// request's is Node's ServerResponse, still being written and let go with its request anyway).
	io.engine.use((req: IncomingMessage, res: object, next: () => void) => {
		if (!(res instanceof ServerResponse)) (req as IncomingMessage & { [UPGRADE_RESPONSE]?: object })[UPGRADE_RESPONSE] = res;
		next();
	});
	io.engine.on('connection', (raw: { request: (IncomingMessage & { [UPGRADE_RESPONSE]?: { req?: unknown } }) | null }) => {
		const res = raw.request?.[UPGRADE_RESPONSE];
		if (res && 'req' in res) res.req = null;
		raw.request = null;
	});
}
