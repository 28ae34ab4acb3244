// The stack under Parley's chat, alone: a socket.io server that accepts every socket.io connect and
// holds it, with no listeners, rooms, presence or handshake check. Between the bare `ws` baseline
// (ws-hold-server.ts) and Parley, it shows how much of Parley's memory per connection is socket.io's
// and how much Parley's own. SIO_OPTIONS `parley` (default): the chat node's Server options and engine
// set-up (server/chat/node/engine.ts); `defaults`: socket.io's own defaults. Same IPC as
// ws-hold-server.ts.
//
//   HOST=127.0.0.1 PORT=0 [SIO_OPTIONS=defaults] node --expose-gc --import tsx bench/lib/sio-hold-server.ts
import http from 'node:http';
import { Server } from 'socket.io';
import { chatServerOptions, forgetUpgradeRequests } from '../../server/chat/node/engine.js';
import { installMemoryProbe } from './probe.js';

installMemoryProbe();
const server = http.createServer((_req, res) => res.writeHead(404).end());
const defaults = process.env.SIO_OPTIONS === 'defaults';
const io = defaults ? new Server(server) : new Server(server, chatServerOptions([]));
if (!defaults) forgetUpgradeRequests(io);
io.use((_socket, next) => next());

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
	const address = server.address();
	process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => {
	io.close(() => process.exit(0));
	setTimeout(() => process.exit(0), 2_000).unref();
});
