// The capacity baseline: a bare `ws` WebSocket server on Node's http server that accepts every
// connection and holds it, with the heartbeat ws documents (a ping frame to every client each
// PING_INTERVAL_MS, 20 s like Parley's socket.io pingInterval; a client that did not answer the
// previous ping is dropped). No authentication, no rooms, no per-connection state of its own: the
// floor that holding a WebSocket in Node stands on. Started with an IPC channel; says
// `{ type: 'listening', port }`, answers the memory probe, exits on SIGTERM.
//
//   HOST=127.0.0.1 PORT=0 PING_INTERVAL_MS=20000 node --expose-gc --import tsx bench/lib/ws-hold-server.ts
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { installMemoryProbe } from './probe.js';

installMemoryProbe();
const pingIntervalMs = Number(process.env.PING_INTERVAL_MS ?? 20_000);
const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });
const alive = new WeakSet<WebSocket>();

wss.on('connection', (ws) => {
	alive.add(ws);
	ws.on('pong', () => alive.add(ws));
	ws.on('error', () => ws.terminate());
});
const heartbeat = setInterval(() => {
	for (const ws of wss.clients) {
		if (!alive.has(ws)) {
			ws.terminate();
			continue;
		}
		alive.delete(ws);
		ws.ping();
	}
}, pingIntervalMs);

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
	const address = server.address();
	process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => {
	clearInterval(heartbeat);
	for (const ws of wss.clients) ws.terminate();
	server.close(() => process.exit(0));
	setTimeout(() => process.exit(0), 2_000).unref();
});
