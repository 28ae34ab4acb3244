import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { befriend, clientId, fails, ok, people, type Person } from '../helpers/chat.js';
import { startParley, type ClientSocket, type TestParley } from '../helpers/parley.js';
import type { Ack } from '../../src/lib/protocol/index.js';

/** `{a: {a: … 1}}`, `levels` objects deep, built without recursion. */
function deep(levels: number): unknown {
	let value: unknown = 1;
	for (let i = 0; i < levels; i++) value = { a: value };
	return value;
}

/** Stands for the deep value in a payload; replaced in the JSON text. */
const DEEP = '@DEEP@';
/** 5,000 levels as JSON text (30 KB). The client's encoder (JSON.stringify) overflows on it in a test worker. */
const DEEP_JSON = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);

let nextAck = 1_000_000;
/**
 * Sends a request as socket.io would frame it (`2<ackId>["event",payload]` in an engine.io message), with the payload as JSON
 * text, so it reaches the server however deep it is; resolves to the ack.
 */
function rawRequest(socket: ClientSocket, event: string, payload: unknown): Promise<Ack> {
	const id = nextAck++;
	const json = JSON.stringify(payload).replace(`"${DEEP}"`, DEEP_JSON);
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 30_000);
		(socket as unknown as { acks: Record<number, (ack: Ack) => void> }).acks[id] = (ack) => {
			clearTimeout(timer);
			resolve(ack);
		};
		// engine.io adds its own `4` (message) before socket.io's `2` (event).
		socket.io.engine.write(`2${id}${JSON.stringify([event]).slice(0, -1)},${json}]`);
	});
}

// Issue 10, item 3: a payload nested 5,000 deep (30 KB) overflowed the stack of the JSON size check
// of the media requests, which acked `internal` and logged a RangeError stack. Every request's payload
// is now bounded in depth before anything walks it: `invalid_input`, nothing logged.
describe.each(backendNames())('deeply nested payloads on %s', (backend) => {
	let t: TestParley;
	let a: Person;
	let b: Person;
	let threadId: string;
	let errors: string[];

	beforeAll(async () => {
		t = await startParley(backend);
		[a, b] = await people(t, 2);
		threadId = (await befriend(a, b)).id;
	});
	afterAll(async () => t?.stop());

	// The test logger writes errors to stderr (TEST_LOG_LEVEL, default error): collect them.
	beforeEach(() => {
		errors = [];
		const write = process.stderr.write.bind(process.stderr);
		vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
			const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
			if (/ ERROR /.test(text)) errors.push(text);
			return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
		});
	});
	afterEach(() => vi.restoreAllMocks());

	const CASES: Array<[string, (callId: string) => Record<string, unknown>]> = [
		['media:connectTransport', (callId) => ({ callId, transportId: 't1', dtlsParameters: DEEP })],
		['media:consume', (callId) => ({ callId, transportId: 't1', producerId: 'p1', rtpCapabilities: DEEP })],
		['media:produce', (callId) => ({ callId, transportId: 't1', kind: 'audio', rtpParameters: DEEP, appData: { source: 'mic' } })],
		['messages:send', () => ({ threadId, clientId: clientId(), text: DEEP })],
		['messages:list', () => ({ threadId, limit: DEEP })],
		['users:get', () => ({ userIds: [DEEP] })],
		['friends:request', () => ({ userId: b.user.id, message: DEEP })]
	];

	for (const [event, payload] of CASES) {
		it(`${event} with a field nested 5,000 deep: invalid_input, nothing logged as an error`, async () => {
			const ack = await rawRequest(a.socket, event, payload('call1'));
			expect(ack).toEqual({ ok: false, error: { code: 'invalid_input', message: 'input is nested deeper than 32 levels', fields: { _: 'is nested deeper than 32 levels' } } });
			expect(errors).toEqual([]);
		});
	}

	it('a payload that is itself 5,000 deep, and one of 20,000 values, are refused the same way', async () => {
		expect(await rawRequest(a.socket, 'session:whoami', DEEP)).toMatchObject({ ok: false, error: { code: 'invalid_input', message: 'input is nested deeper than 32 levels' } });
		const wide = { threadId, list: Array.from({ length: 20_000 }, () => 0) };
		expect((await fails(a.socket, 'messages:list', wide, 'invalid_input')).message).toBe('input holds more than 10000 values');
		expect(errors).toEqual([]);
	});

	it('32 levels are still only checked against the schema, and the socket goes on serving', async () => {
		const error = await fails(a.socket, 'messages:send', { threadId, clientId: clientId(), text: deep(31) }, 'invalid_input');
		expect(error.fields).toHaveProperty('text');
		expect((await ok(a.socket, 'messages:send', { threadId, clientId: clientId(), text: 'still here' })).message.text).toBe('still here');
		expect(a.socket.connected).toBe(true);
	});
});
