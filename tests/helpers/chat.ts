import { expect } from 'vitest';
import type { Ack, ChatTicketResponse, LoginResponse, ServerToClientEvents, Thread } from '../../src/lib/protocol/index.js';
import type { ClientSocket, TestParley } from './parley.js';

/** What a stack trace or source location in an error message looks like. */
const STACK = /\n\s+at |\bat .+:\d+:\d+|\.(ts|js|mjs):\d+|node_modules/;

export type Person = LoginResponse & { password: string; socket: ClientSocket };

/** Signs up and connects one device. */
export async function person(t: TestParley, options: { username?: string; displayName?: string } = {}): Promise<Person> {
	const login = await t.signUp(options);
	return { ...login, socket: await t.connectSocket(login.chat.ticket) };
}

/** Several people at once (sign-ups are slow; they overlap well). */
export function people(t: TestParley, n: number): Promise<Person[]> {
	return Promise.all(Array.from({ length: n }, () => person(t)));
}

/** Another device of the same session: a fresh ticket, a new socket. */
export async function device(t: TestParley, who: { token: string }): Promise<ClientSocket> {
	const res = await t.request<ChatTicketResponse>('POST', '/api/auth/chat-ticket', { token: who.token });
	expect(res.status).toBe(200);
	return t.connectSocket(res.body.chat.ticket);
}

/**
 * Sends a request and resolves to its ack (any payload, typed loosely, so tests can send nonsense).
 * The 30 s bound only catches a missing ack; it is no performance limit (a loaded CI machine queues
 * fifty senders' transactions on one thread row for seconds).
 */
export async function request<T extends object = any>(socket: ClientSocket, event: string, payload?: unknown): Promise<Ack<T>> {
	const s = socket.timeout(30_000) as unknown as { emitWithAck(event: string, ...args: unknown[]): Promise<Ack<T>> };
	return payload === undefined ? s.emitWithAck(event) : s.emitWithAck(event, payload);
}

/** Sends a request that must succeed; returns its data. */
export async function ok<T extends object = any>(socket: ClientSocket, event: string, payload?: unknown): Promise<T> {
	const ack = await request<T>(socket, event, payload);
	expect(ack, `${event} ${JSON.stringify(payload)}`).toMatchObject({ ok: true });
	return ack as T;
}

/** Sends a request that must fail with `code`; checks the error ack's shape; returns the error. */
export async function fails(socket: ClientSocket, event: string, payload: unknown, code: string): Promise<{ code: string; message: string; fields?: Record<string, string> }> {
	const ack = await request(socket, event, payload);
	const context = `${event} ${JSON.stringify(payload)?.slice(0, 200)} -> ${JSON.stringify(ack).slice(0, 300)}`;
	expect(ack.ok, context).toBe(false);
	if (ack.ok) throw new Error('unreachable');
	expect(Object.keys(ack).sort(), context).toEqual(['error', 'ok']);
	expect(ack.error.code, context).toBe(code);
	expect(typeof ack.error.message, context).toBe('string');
	expect(ack.error.message.length, context).toBeGreaterThan(0);
	expect(JSON.stringify(ack), context).not.toMatch(STACK);
	return ack.error;
}

type EventName = keyof ServerToClientEvents;
type EventPayload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/** Records every event of the given names that a socket receives, and waits for them. */
export class Events {
	readonly log: Array<{ event: EventName; payload: any }> = [];
	#waiters: Array<() => void> = [];

	constructor(
		readonly socket: ClientSocket,
		events: EventName[] = ['message:new', 'message:status', 'friends:requested', 'friends:added', 'friends:closed', 'presence', 'typing', 'user:updated']
	) {
		for (const event of events) {
			(socket.on as (e: string, l: (p: unknown) => void) => void)(event, (payload) => {
				this.log.push({ event, payload });
				for (const wake of this.#waiters.splice(0)) wake();
			});
		}
	}

	all<E extends EventName>(event: E, match: (p: EventPayload<E>) => boolean = () => true): EventPayload<E>[] {
		return this.log.filter((e) => e.event === event && match(e.payload)).map((e) => e.payload);
	}

	/** The first `event` that matches (already received or arriving within `timeoutMs`). */
	async next<E extends EventName>(event: E, match: (p: EventPayload<E>) => boolean = () => true, timeoutMs = 5_000): Promise<EventPayload<E>> {
		return (await this.count(event, 1, match, timeoutMs))[0];
	}

	/** Waits until `n` matching events have arrived; returns them. */
	async count<E extends EventName>(event: E, n: number, match: (p: EventPayload<E>) => boolean = () => true, timeoutMs = 5_000): Promise<EventPayload<E>[]> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const found = this.all(event, match);
			if (found.length >= n) return found;
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`expected ${n} "${event}" events, got ${found.length}: ${JSON.stringify(found).slice(0, 500)}`);
			await new Promise<void>((resolve) => {
				this.#waiters.push(resolve);
				setTimeout(resolve, Math.min(left, 100));
			});
		}
	}

	/** True when no matching event arrives within `ms`. */
	async none<E extends EventName>(event: E, match: (p: EventPayload<E>) => boolean = () => true, ms = 300): Promise<boolean> {
		await new Promise((resolve) => setTimeout(resolve, ms));
		return this.all(event, match).length === 0;
	}

	clear(): void {
		this.log.length = 0;
	}
}

/** Makes two people friends through the protocol; returns their thread. */
export async function befriend(a: Person, b: Person): Promise<Thread> {
	const { request } = await ok(a.socket, 'friends:request', { userId: b.user.id });
	const { thread } = await ok<{ thread: Thread }>(b.socket, 'friends:respond', { requestId: request.id, accept: true });
	return thread;
}

/** A client-made message id. */
export function clientId(): string {
	return crypto.randomUUID();
}

export async function send(socket: ClientSocket, threadId: string, text: string, id = clientId()) {
	return (await ok(socket, 'messages:send', { threadId, clientId: id, text })).message;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
