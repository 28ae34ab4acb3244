// The stack under Parley's chat, alone: a socket.io server with Parley's Server options (server/app.ts)
// that accepts every socket.io connect and holds it, with no listeners, rooms, presence or handshake
// check. Between the bare `ws` baseline (ws-hold-server.ts) and Parley, it shows how much of Parley's
// memory per connection is socket.io's and how much Parley's own. Same IPC as ws-hold-server.ts.
//
//   HOST=127.0.0.1 PORT=0 node --expose-gc --import tsx bench/lib/sio-hold-server.ts
import http from 'node:http';
import { Server } from 'socket.io';
import { installMemoryProbe } from './probe.js';

installMemoryProbe();
const server = http.createServer((_req, res) => res.writeHead(404).end());
// The options of server/app.ts (cors aside, which only answers preflight requests).
const io = new Server(server, { serveClient: false, perMessageDeflate: false, maxHttpBufferSize: 256 * 1024, pingInterval: 20_000, pingTimeout: 20_000 });
io.use((_socket, next) => next());

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
	const address = server.address();
	process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => {
	io.close(() => process.exit(0));
	setTimeout(() => process.exit(0), 2_000).unref();
});
