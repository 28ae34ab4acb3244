// A bare socket.io client: the engine.io v4 / socket.io v5 protocol spoken over one `ws` WebSocket,
// for load generators that hold thousands of connections (a socket.io-client per connection carries
// its Manager, reconnection timers and event machinery, many times the weight of this). The server
// sees exactly what a browser on the websocket transport sends:
//   engine.io:  server `0{"sid",…,"pingInterval"}` (open), `2` ping → client `3` pong, `4…` message, `1` close
//   socket.io (inside a `4` message): `0{auth}` connect → `0{"sid"}` or `4{"message"}` refused,
//              `2[event,…args]` event, `2<id>[…]` event wanting an ack, `3<id>[…]` ack, `1` disconnect
// Text packets only (no binary attachments), the default namespace only.
import WebSocket from 'ws';

export interface SocketIoOptions {
	/** The server, `http://host:port`. */
	url: string;
	/** The connect packet's auth payload (Parley: `{ ticket }`). */
	auth?: Record<string, unknown>;
	/** The source address to connect from (e.g. `127.0.0.3`): each has its own ~28k ephemeral ports. */
	localAddress?: string;
	/** Give up if the socket.io connect has not been answered within this many ms. Default 20,000. */
	timeoutMs?: number;
	/** Default `/socket.io/`. */
	path?: string;
}

/** Why a connection did not come up, for counting failures by kind. */
export class SocketIoConnectError extends Error {
	constructor(
		/** `websocket`: the WebSocket failed or closed; `refused`: the server answered the connect with an error; `timeout`. */
		readonly stage: 'websocket' | 'refused' | 'timeout',
		message: string
	) {
		super(message);
	}
}

type Listener = (...args: unknown[]) => void;

export interface RawSocketIo {
	/** The socket.io session id the server answered the connect with. */
	readonly sid: string;
	/** Still open (no close from either side). */
	readonly open: boolean;
	/** Pings answered so far. */
	readonly pings: number;
	/** Listens to a server event (`on('message:new', (payload) => …)`). */
	on(event: string, listener: Listener): void;
	/** Sends an event without waiting for anything. */
	emit(event: string, ...args: unknown[]): void;
	/** Sends an event and resolves with the first argument of its ack (rejects after `timeoutMs`, default 30,000). */
	emitWithAck(event: string, payload: unknown, timeoutMs?: number): Promise<unknown>;
	/** Called once when the connection closes, with why. */
	onClose(listener: (reason: string) => void): void;
	close(): void;
}

/** Opens a WebSocket, completes the socket.io connect, and resolves once the server accepted it. */
export function connectSocketIo(options: SocketIoOptions): Promise<RawSocketIo> {
	const base = new URL(options.url);
	const address = `${base.protocol === 'https:' ? 'wss' : 'ws'}://${base.host}${options.path ?? '/socket.io/'}?EIO=4&transport=websocket`;
	const ws = new WebSocket(address, { localAddress: options.localAddress, perMessageDeflate: false });
	const listeners = new Map<string, Listener[]>();
	const acks = new Map<number, (value: unknown) => void>();
	const closeListeners: Array<(reason: string) => void> = [];
	let nextAck = 0;
	let sid = '';
	let open = true;
	let pings = 0;
	let closedBy = '';

	const socket: RawSocketIo = {
		get sid() {
			return sid;
		},
		get open() {
			return open;
		},
		get pings() {
			return pings;
		},
		on(event, listener) {
			const list = listeners.get(event);
			if (list) list.push(listener);
			else listeners.set(event, [listener]);
		},
		emit(event, ...args) {
			if (open) ws.send(`42${JSON.stringify([event, ...args])}`);
		},
		emitWithAck(event, payload, timeoutMs = 30_000) {
			return new Promise((resolve, reject) => {
				if (!open) return reject(new Error(`${event}: the connection is closed`));
				const id = nextAck++;
				const timer = setTimeout(() => {
					acks.delete(id);
					reject(new Error(`${event}: no ack within ${timeoutMs} ms`));
				}, timeoutMs);
				acks.set(id, (value) => {
					clearTimeout(timer);
					resolve(value);
				});
				ws.send(`42${id}${JSON.stringify([event, payload])}`);
			});
		},
		onClose(listener) {
			if (!open) listener(closedBy);
			else closeListeners.push(listener);
		},
		close() {
			if (open) ws.send('41');
			ws.close();
		}
	};

	return new Promise((resolve, reject) => {
		let connected = false;
		const fail = (error: SocketIoConnectError) => {
			clearTimeout(timer);
			if (connected) return;
			connected = true; // settled
			ws.terminate();
			reject(error);
		};
		const timer = setTimeout(() => fail(new SocketIoConnectError('timeout', `no socket.io connect within ${options.timeoutMs ?? 20_000} ms`)), options.timeoutMs ?? 20_000);

		ws.on('error', (error) => fail(new SocketIoConnectError('websocket', error.message)));
		ws.on('close', (code, reason) => {
			const why = closedBy || `websocket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
			if (!open) return;
			open = false;
			closedBy = why;
			fail(new SocketIoConnectError('websocket', why));
			for (const listener of closeListeners.splice(0)) listener(why);
		});
		ws.on('message', (data) => {
			const text = data.toString();
			switch (text[0]) {
				case '0': // engine.io open: the socket.io connect goes out now
					ws.send(`40${options.auth ? JSON.stringify(options.auth) : ''}`);
					return;
				case '2':
					pings++;
					ws.send('3');
					return;
				case '1':
					closedBy = 'closed by the server (engine.io close)';
					ws.close();
					return;
				case '4':
					break;
				default:
					return;
			}
			// A socket.io packet: type, optional ack id, JSON (default namespace, so no `/nsp,`).
			const type = text[1];
			let i = 2;
			while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
			const id = i > 2 ? Number(text.slice(2, i)) : undefined;
			const body = i < text.length ? JSON.parse(text.slice(i)) : undefined;
			if (type === '0') {
				sid = (body as { sid?: string } | undefined)?.sid ?? '';
				if (!sid) return fail(new SocketIoConnectError('refused', `connect answered without a sid: ${text}`));
				clearTimeout(timer);
				connected = true;
				resolve(socket);
			} else if (type === '4') {
				fail(new SocketIoConnectError('refused', (body as { message?: string } | undefined)?.message ?? text));
			} else if (type === '2' && Array.isArray(body)) {
				const [event, ...args] = body as [string, ...unknown[]];
				for (const listener of listeners.get(event) ?? []) listener(...args);
			} else if (type === '3' && id !== undefined && Array.isArray(body)) {
				const settle = acks.get(id);
				acks.delete(id);
				settle?.(body[0]);
			} else if (type === '1') {
				closedBy = 'disconnected by the server (socket.io disconnect)';
				ws.close();
			}
		});
	});
}

/** `count` loopback source addresses from 127.0.0.2 on (127.0.0.0/8 is all local on Linux). */
export function loopbackSources(count: number): string[] {
	return Array.from({ length: count }, (_, i) => `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`);
}
