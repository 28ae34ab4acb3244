// The baseline of the groups scenario (bench/groups.ts): a raw `ws` broadcast with no persistence, no
// authentication, no rooms library and one process. A member connects to `/?member=I`; it sends
// `{"t":"send","id":TAG,"text":...}`; the server answers `{"t":"ack","id":TAG}` to the sender first
// (Parley acks after the durable write), then serializes `{"t":"msg","from":I,"text":...}` once and
// writes it to every connected socket, the sender's included (as Parley's `message:new` goes to every
// member's devices, the sender's too). JSON in and out, as socket.io's text frames are. Forked as a
// child: reports `{ ready: port }`.
import { WebSocketServer, type WebSocket } from 'ws';

const sockets = new Set<WebSocket>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
	const member = new URL(req.url ?? '/', 'http://x').searchParams.get('member') ?? '';
	sockets.add(ws);
	ws.on('close', () => sockets.delete(ws));
	ws.on('message', (data) => {
		const m = JSON.parse(String(data)) as { t: string; id: string; text: string };
		if (m.t !== 'send') return;
		ws.send(JSON.stringify({ t: 'ack', id: m.id }));
		const out = JSON.stringify({ t: 'msg', from: member, text: m.text });
		for (const s of sockets) s.send(out);
	});
});

wss.on('listening', () => process.send?.({ ready: (wss.address() as { port: number }).port }));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
