import type { z } from 'zod';
import type { Ack, AckCallback, ClientToServerEvents } from '../../src/lib/protocol/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { validate } from '../validate.js';
import type { ChatSocket } from './chat.server.js';
import type { Chat } from './index.js';

export type RequestName = keyof ClientToServerEvents;
export type RequestPayload<E extends RequestName> = Parameters<ClientToServerEvents[E]>[0];
export type AckData<E extends RequestName> = NonNullable<Parameters<ClientToServerEvents[E]>[1]> extends AckCallback<infer T> ? T : never;

/** What every handler gets. The acting user is the socket's, from its ticket: never the payload's. */
export interface HandlerContext {
	userId: string;
	sessionId: string;
	socket: ChatSocket;
	chat: Chat;
	log: Logger;
}

/** One protocol request: the schema its payload must pass, and the handler that answers it. */
export interface RequestEntry<E extends RequestName> {
	schema: z.ZodType<unknown, RequestPayload<E>>;
	handle(ctx: HandlerContext, input: any): Promise<AckData<E>>;
}

export type RequestTable = { [E in RequestName]?: RequestEntry<E> };

/** A handler typed by its schema's output. */
export type Handler<S extends z.ZodType, R> = (ctx: HandlerContext, input: z.output<S>) => Promise<R>;

const INTERNAL = { code: 'internal', message: 'something went wrong on the server; it has been logged' } as const;

/**
 * Answers one request: finds the ack (the last argument, when it is a function), validates the
 * payload, runs the handler and acks `{ok: true, ...data}` or `{ok: false, error}`. Never throws: a
 * malformed request, a missing ack or a failing handler cannot take the socket or the node down.
 */
export async function dispatch(event: string, entry: RequestEntry<RequestName>, ctx: HandlerContext, args: unknown[]): Promise<void> {
	const last = args.at(-1);
	const ack = typeof last === 'function' ? (last as (response: Ack) => void) : undefined;
	// `emit('friends:list', ack)` with no payload means an empty one.
	const payload = args.length === 0 || typeof args[0] === 'function' ? {} : args[0];
	let response: Ack;
	try {
		const input = validate(entry.schema, payload);
		const data = await entry.handle(ctx, input);
		response = { ok: true, ...data };
	} catch (error) {
		if (error instanceof AppError) {
			response = { ok: false, error: error.toBody() };
		} else {
			ctx.log.error(`"${event}" failed`, error);
			response = { ok: false, error: { ...INTERNAL } };
		}
	}
	if (!ack) return;
	try {
		ack(response);
	} catch (error) {
		ctx.log.warn(`acking "${event}" failed`, error);
	}
}

/** Answers an event no handler knows, when it came with an ack. */
export function unknownRequest(event: string, args: unknown[]): void {
	const last = args.at(-1);
	if (typeof last !== 'function') return;
	try {
		(last as (response: Ack) => void)({ ok: false, error: { code: 'not_found', message: `no request "${String(event).slice(0, 64)}"; see docs/PROTOCOL.md` } });
	} catch {
		// nothing to do: the client went away
	}
}
