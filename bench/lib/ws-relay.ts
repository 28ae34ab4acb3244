// The baseline of the throughput scenario: a raw `ws` relay with no persistence, no authentication
// and no rooms library, doing the same exchange as Parley in the same shape. A client connects to
// `/?user=ID`; it sends `{"t":"send","id":N,"to":PEER,"text":...}`; the relay answers
// `{"t":"ack","id":N}` to the sender first (Parley acks after the durable write), then pushes
// `{"t":"msg","from":ID,"text":...}` to every socket of both users, the sending one included (as
// Parley's `message:new` goes to every device of both members).
// JSON in and out, as socket.io's text frames are. Forked as a child: reports `{ ready: port }`.
import { WebSocketServer, type WebSocket } from 'ws';

const sockets = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
	const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
	let own = sockets.get(user);
	if (!own) sockets.set(user, (own = new Set()));
	own.add(ws);
	ws.on('close', () => own.delete(ws));
	ws.on('message', (data) => {
		const m = JSON.parse(String(data)) as { t: string; id: number; to: string; text: string };
		if (m.t !== 'send') return;
		ws.send(JSON.stringify({ t: 'ack', id: m.id }));
		const out = JSON.stringify({ t: 'msg', from: user, text: m.text });
		for (const s of sockets.get(m.to) ?? []) s.send(out);
		for (const s of own) s.send(out);
	});
});

wss.on('listening', () => process.send?.({ ready: (wss.address() as { port: number }).port }));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
