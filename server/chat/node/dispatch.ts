import type { Ack, ErrorBody } from '../../../src/lib/protocol/index.js';
import { AppError, invalidInput } from '../../errors.js';
import { outageOf } from '../../outages.js';
import { validate } from '../../validate.js';
import type { HandlerContext, RequestEntry, RequestName } from '../chat.types.js';
import { nestingProblem } from './nesting.js';

const INTERNAL = { code: 'internal', message: 'something went wrong on the server; it has been logged' } as const;

/**
 * Answers one request: finds the ack (the last argument, when it is a function), bounds the payload's
 * nesting (`nesting.ts`), validates it, runs the handler and acks `{ok: true, ...data}` or
 * `{ok: false, error}`. Never throws: a malformed request, a missing ack or a failing handler cannot
 * take the socket or the node down.
 */
export async function dispatch(event: string, entry: RequestEntry<RequestName>, ctx: HandlerContext, args: unknown[]): Promise<void> {
	const ack = ackOf(args);
	// `emit('friends:list', ack)` with no payload means an empty one.
	const payload = args.length === 0 || typeof args[0] === 'function' ? {} : args[0];
	let response: Ack;
	try {
		// Before anything recursive (zod, a JSON size check, mediasoup) walks it: 5,000 levels overflow the stack.
		const problem = nestingProblem(payload);
		if (problem) throw invalidInput({ _: problem }, `input ${problem}`);
		if (entry.read) await ctx.chat.reads.consume(ctx.userId);
		const input = validate(entry.schema, payload);
		const data = await entry.handle(ctx, input);
		response = { ok: true, ...data };
	} catch (error) {
		if (error instanceof AppError) {
			response = { ok: false, error: error.toBody() };
		} else if (outageOf(error)) {
			const outage = outageOf(error)!;
			ctx.log.warn(`"${event}" refused: ${outage.what} is unreachable (${(error as Error).message})`);
			response = { ok: false, error: outage.error.toBody() };
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
	refuse(args, { code: 'not_found', message: `no request "${String(event).slice(0, 64)}"; see docs/PROTOCOL.md` });
}

/** Answers a request with `error` without running it (when it came with an ack). */
export function refuse(args: unknown[], error: ErrorBody): void {
	const ack = ackOf(args);
	if (!ack) return;
	try {
		ack({ ok: false, error });
	} catch {
		// nothing to do: the client went away
	}
}

/** The request's ack: its last argument, when that is a function. */
function ackOf(args: unknown[]): ((response: Ack) => void) | undefined {
	const last = args.at(-1);
	return typeof last === 'function' ? (last as (response: Ack) => void) : undefined;
}
