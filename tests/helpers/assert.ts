import { expect } from 'vitest';
import type { ErrorBody } from '../../src/lib/protocol/index.js';
import type { ClientSocket, TestParley } from './parley.js';

type Response = { status: number; headers: Headers; body: unknown };

/** What a leaked stack trace or source location looks like. */
const STACK = /\n\s+at |\bat .+:\d+:\d+|\.(ts|js|mjs):\d+|node_modules/;

/**
 * Checks that `res` is the contract's error: the status, a JSON body that is exactly
 * `{error: {code, message, fields?}}` with `fields` only for `invalid_input`, and no stack trace.
 * Returns the error for further checks.
 */
export function expectError(res: Response, status: number, code: string, options: { fields?: string[] } = {}): ErrorBody {
	const context = `${res.status} ${JSON.stringify(res.body)}`;
	expect(res.status, context).toBe(status);
	expect(res.headers.get('content-type'), context).toMatch(/^application\/json/);
	const body = res.body as { error: ErrorBody };
	expect(Object.keys(body), context).toEqual(['error']);
	const error = body.error;
	expect(error.code, context).toBe(code);
	expect(typeof error.message, context).toBe('string');
	expect(error.message.length, context).toBeGreaterThan(0);
	expect(JSON.stringify(body), context).not.toMatch(STACK);
	const allowed = code === 'invalid_input' && error.fields !== undefined ? ['code', 'message', 'fields'] : ['code', 'message'];
	expect(Object.keys(error).sort(), context).toEqual(allowed.sort());
	if (options.fields) {
		expect(error.fields, context).toBeDefined();
		for (const field of options.fields) {
			expect(typeof error.fields![field], `fields.${field} in ${context}`).toBe('string');
		}
	}
	return error;
}

/** A 429 with a whole number of seconds in Retry-After, at most `maxSeconds`. Returns the seconds. */
export function expectRateLimited(res: Response, maxSeconds: number): number {
	expectError(res, 429, 'rate_limited');
	const header = res.headers.get('retry-after');
	expect(header, 'Retry-After header').toMatch(/^\d+$/);
	const seconds = Number(header);
	expect(seconds).toBeGreaterThanOrEqual(1);
	expect(seconds).toBeLessThanOrEqual(maxSeconds);
	return seconds;
}

/** Connecting with `ticket` must fail the handshake with `unauthorized`. */
export async function expectConnectRefused(t: TestParley, ticket: unknown, url?: string): Promise<void> {
	const error = await t.connectSocket(ticket as string, url).then(
		(socket) => {
			socket.disconnect();
			return new Error(`connected with ticket ${JSON.stringify(ticket)}`);
		},
		(e: Error) => e
	);
	expect(error.message).toBe('unauthorized');
}

/** Everything that happens to a socket, in order: `session:ended` payloads and the disconnect. */
export function recordSocket(socket: ClientSocket): {
	events: Array<[string, unknown]>;
	/** Resolves once the socket is disconnected. */
	disconnected: Promise<void>;
} {
	const events: Array<[string, unknown]> = [];
	socket.on('session:ended', (payload) => events.push(['session:ended', payload]));
	const disconnected = new Promise<void>((resolve) => {
		socket.on('disconnect', (reason) => {
			events.push(['disconnect', reason]);
			resolve();
		});
	});
	return { events, disconnected };
}

/** Resolves true when the socket answers a request, proving it is connected and served. */
export async function isServed(socket: ClientSocket, userId: string): Promise<boolean> {
	if (!socket.connected) return false;
	const ack = await socket.timeout(5_000).emitWithAck('session:whoami', {});
	return ack.ok === true && ack.userId === userId;
}
