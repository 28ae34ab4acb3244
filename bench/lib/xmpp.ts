// The XMPP side of the ejabberd peer (issue 7, scenario 5): a device is one @xmpp/client connection
// (one resource of a user) with Message Carbons (XEP-0280) enabled, so a message fans out the way
// Parley's does: to every device of the receiver and to the sender's other devices. For the capacity
// scenario, `holdIdle` logs in over a bare TCP socket instead: an @xmpp/client per idle connection
// carries its middleware, reconnect and stream-management machinery, many times the weight of the
// socket, and the load generator would run out of memory long before the server.
import net from 'node:net';
// @xmpp/client ships no types; the few parts used here are typed below (XmppClient, Element).
// @ts-expect-error -- no declaration file
import { client as untypedClient, xml as untypedXml } from '@xmpp/client';

/** An XML element as @xmpp/xml (ltx) builds and parses it. */
export interface Element {
	name: string;
	attrs: Record<string, string>;
	children: Array<Element | string>;
	is(name: string, xmlns?: string): boolean;
	getChild(name: string, xmlns?: string): Element | undefined;
	getChildText(name: string, xmlns?: string): string | null;
	getAttr(name: string): string | undefined;
}

interface XmppClient {
	start(): Promise<unknown>;
	stop(): Promise<unknown>;
	send(element: Element): Promise<void>;
	on(event: 'stanza', listener: (stanza: Element) => void): void;
	on(event: 'error', listener: (error: Error) => void): void;
	on(event: 'offline', listener: () => void): void;
	iqCaller: { request(element: Element, timeoutMs?: number): Promise<Element> };
	reconnect: { stop(): void };
}

const client = untypedClient as (options: Record<string, unknown>) => XmppClient;
const xml = untypedXml as (name: string, attrs?: Record<string, string>, ...children: Array<Element | string>) => Element;

export interface DeviceOptions {
	/** `xmpp://127.0.0.1:5222`. */
	service: string;
	domain: string;
	username: string;
	password: string;
	resource: string;
	/** Give up on the login (and on carbons) after this many ms. Default 30,000. */
	timeoutMs?: number;
}

export interface Device {
	/** `user@domain/resource`. */
	readonly jid: string;
	/**
	 * Called for every chat message body that reaches this device: `direction` is `in` for a message
	 * sent to this device's user (directly or as a `received` carbon), `sent` for a carbon of a message
	 * the same user sent from another device.
	 */
	onMessage(listener: (body: string, direction: 'in' | 'sent') => void): void;
	/** Sends a chat message to a bare JID (the receiver's every device gets it, the sender's other devices a carbon). */
	send(to: string, body: string): void;
	stop(): Promise<void>;
}

/** An error as one line, whatever was thrown (@xmpp errors carry a condition and text; a stream may end with none). */
export function describe(error: unknown): string {
	if (error instanceof Error) {
		const e = error as Error & { condition?: string; text?: string; code?: string };
		return [e.name, e.condition, e.text, e.code, e.message].filter(Boolean).join(': ') || 'unknown error';
	}
	return String(error) || 'unknown error';
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout;
	return Promise.race([
		promise.finally(() => clearTimeout(timer)),
		new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
		})
	]);
}

/** Logs one device in, enables carbons and sends initial presence (so bare-JID messages reach it). */
export async function connectDevice(options: DeviceOptions): Promise<Device> {
	const timeoutMs = options.timeoutMs ?? 30_000;
	const x = client({ service: options.service, domain: options.domain, username: options.username, password: options.password, resource: options.resource });
	// A bench connection that drops is a failure to report, not something to paper over by reconnecting.
	x.reconnect.stop();
	const listeners: Array<(body: string, direction: 'in' | 'sent') => void> = [];
	let lastError: Error | undefined;
	x.on('error', (error) => {
		lastError = error;
	});
	x.on('stanza', (stanza) => {
		if (!stanza.is('message')) return;
		const body = stanza.getChildText('body');
		if (body !== null) {
			for (const l of listeners) l(body, 'in');
			return;
		}
		const received = stanza.getChild('received', 'urn:xmpp:carbons:2');
		const sent = received ? undefined : stanza.getChild('sent', 'urn:xmpp:carbons:2');
		const inner = (received ?? sent)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
		const carried = inner?.getChildText('body');
		if (carried != null) for (const l of listeners) l(carried, sent ? 'sent' : 'in');
	});
	try {
		await withTimeout(x.start(), timeoutMs, `login of ${options.username}/${options.resource}`);
		await x.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })), timeoutMs);
		await x.send(xml('presence'));
	} catch (error) {
		await x.stop().catch(() => {});
		const cause = lastError && !(error instanceof Error && error.message.includes('no answer')) ? lastError : error;
		throw new Error(`login of ${options.username}/${options.resource}: ${describe(cause)}`);
	}
	const jid = `${options.username}@${options.domain}/${options.resource}`;
	return {
		jid,
		onMessage(listener) {
			listeners.push(listener);
		},
		send(to, body) {
			// Fire and forget: the paced sender measures arrival, and a send that cannot be written is
			// a message that never arrives, which the figures already count.
			x.send(xml('message', { to, type: 'chat' }, xml('body', {}, body))).catch((error: Error) => {
				lastError = error;
			});
		},
		async stop() {
			await withTimeout(x.stop(), 10_000, `logout of ${jid}`).catch(() => {});
		}
	};
}

export interface IdleOptions {
	host: string;
	port: number;
	domain: string;
	username: string;
	password: string;
	resource: string;
	/** The source address to connect from (e.g. `127.0.0.3`): each has its own ~28k ephemeral ports. */
	localAddress?: string;
	/** Default 30,000. */
	timeoutMs?: number;
}

export interface IdleConnection {
	readonly open: boolean;
	/** Once closed: why (the server ended the stream, or the socket's error code). */
	readonly closedWhy: string | undefined;
	close(): void;
}

const STREAM_OPEN = (domain: string) => `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;

/**
 * One idle, authenticated, available XMPP session over a bare socket: stream, SASL PLAIN, stream
 * restart, resource binding, initial presence. What a client does before it sits idle, nothing more
 * (no carbons, no roster fetch). Whatever the server sends afterwards is read and dropped.
 */
export function holdIdle(options: IdleOptions): Promise<IdleConnection> {
	const timeoutMs = options.timeoutMs ?? 30_000;
	return new Promise((resolve, reject) => {
		const socket = net.connect({ host: options.host, port: options.port, localAddress: options.localAddress });
		let buffer = '';
		let stage: 'features' | 'auth' | 'features2' | 'bind' | 'idle' = 'features';
		let open = true;
		let closedWhy: string | undefined;
		const fail = (why: string) => {
			clearTimeout(timer);
			socket.destroy();
			open = false;
			reject(new Error(`${options.username}/${options.resource}: ${why}`));
		};
		const timer = setTimeout(() => fail(`no session within ${timeoutMs} ms (at ${stage})`), timeoutMs);
		socket.setEncoding('utf8');
		socket.setNoDelay(true);
		socket.on('error', (error: NodeJS.ErrnoException) => {
			if (stage !== 'idle') return fail(error.message);
			open = false;
			closedWhy ??= `error ${error.code ?? error.message}`;
		});
		socket.on('close', () => {
			open = false;
			closedWhy ??= 'closed by the server';
			if (stage !== 'idle') fail(`closed at ${stage}: ${buffer.slice(0, 200)}`);
		});
		socket.on('connect', () => socket.write(STREAM_OPEN(options.domain)));
		socket.on('data', (chunk: string) => {
			if (stage === 'idle') {
				if (chunk.includes('<stream:error')) closedWhy ??= `stream error: ${chunk.slice(chunk.indexOf('<stream:error'), chunk.indexOf('<stream:error') + 200)}`;
				return;
			}
			buffer += chunk;
			if (buffer.includes('<stream:error')) return fail(`stream error: ${buffer.slice(0, 300)}`);
			if (stage === 'features' && buffer.includes('</stream:features>')) {
				buffer = '';
				stage = 'auth';
				const credentials = Buffer.from(`\0${options.username}\0${options.password}`).toString('base64');
				socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${credentials}</auth>`);
			} else if (stage === 'auth' && /<success|<failure/.test(buffer)) {
				if (buffer.includes('<failure')) return fail(`authentication failed: ${buffer.slice(0, 200)}`);
				buffer = '';
				stage = 'features2';
				socket.write(STREAM_OPEN(options.domain));
			} else if (stage === 'features2' && buffer.includes('</stream:features>')) {
				buffer = '';
				stage = 'bind';
				socket.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${options.resource}</resource></bind></iq>`);
			} else if (stage === 'bind' && /<\/iq>|<iq [^>]*\/>/.test(buffer)) {
				if (!/type=['"]result['"]/.test(buffer)) return fail(`bind refused: ${buffer.slice(0, 200)}`);
				buffer = '';
				stage = 'idle';
				socket.write('<presence/>');
				clearTimeout(timer);
				resolve({
					get open() {
						return open && !socket.destroyed;
					},
					get closedWhy() {
						return closedWhy;
					},
					close() {
						if (!socket.destroyed) socket.end('</stream:stream>');
						setTimeout(() => socket.destroy(), 2000).unref();
					}
				});
			}
		});
	});
}
